"""Tree hunts skip irkit's own evidence and rule files, scan executables and new files first,
and stop at their deadline (issue 13, point 8: a clean agent sandbox is clean and fast)."""

import os
import shutil
import time
import zipfile
from pathlib import Path

import pytest

from irkit.hunt import FileScanOptions, compile_rules, scan_tree
from irkit.hunt.files import TreeStats, walk_files
from irkit.hunt.notevidence import rule_set_kind, skippable_suffixes
from irkit.hunt.rules import default_rules_path
from tests.reportbundles import write_bundle

MARKER = b"synthetic-miner-marker-7f3a"
RULE = 'rule Marker { strings: $m = "synthetic-miner-marker-7f3a" condition: $m }\n'


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    top = tmp_path / "root"
    top.mkdir()
    # An earlier bundle, one unpacked for review, irkit's pack and a Sigma rule: not evidence.
    write_bundle(top / "case.zip", {"records/x.jsonl": [{"type": "x", "note": MARKER.decode()}]})
    unpacked = top / "review" / "case"
    (unpacked / "files").mkdir(parents=True)
    (unpacked / "manifest.json").write_text('{"format": "irkit-bundle", "format_version": 1}')
    (unpacked / "files" / "xmrig").write_bytes(b"\x7fELF" + MARKER)
    pack = top / "site-packages" / "irkit" / "data" / "yara"
    shutil.copytree(default_rules_path(), pack)
    (pack / "marker.yar").write_text(f"// {MARKER.decode()}\n{RULE}")
    (top / "sigma.yml").write_text(f"title: m\nlogsource: {{}}\ndetection: {MARKER.decode()}\n")
    (top / "falco.yaml").write_text(
        f"- rule: m\n  condition: proc.name = {MARKER.decode()}\n  output: m\n"
    )
    (top / "pack.conf").write_text(
        '{"queries": {"m": {"query": "SELECT * FROM processes WHERE name = '
        f"'{MARKER.decode()}'\"}}}}}}"
    )
    # What is the host's: a miner named like a rule file, and a plain dropped file.
    (top / "rules.yar").write_bytes(b"\x7fELF rule " + MARKER)
    (top / "dropped.sh").write_bytes(b"echo " + MARKER)
    with zipfile.ZipFile(top / "fake.zip", "w") as fake:  # named like a bundle, to hide
        fake.writestr("payload.sh", b"echo " + MARKER)
        fake.writestr("collection.log", b"")
        fake.writestr("manifest.json", b'{"format": "not-irkit"}')
    return top


def scanned(tree: Path, rules_dir: Path, **options: object) -> tuple[set[str], list[tuple]]:
    (rules_dir / "m.yar").write_text(RULE)
    rules = compile_rules(rules_dir / "m.yar").rules
    log: list[tuple] = []
    results = scan_tree(
        rules, [tree], FileScanOptions(**options), log=lambda *a, **k: log.append((a, k))
    )
    return {r.target.removeprefix(str(tree) + "/") for r in results if r.hits}, log


def test_irkit_evidence_and_rule_files_are_skipped(tree: Path, tmp_path: Path) -> None:
    hits, log = scanned(tree, tmp_path, skip_not_evidence=True)
    assert hits == {"rules.yar", "dropped.sh", "fake.zip"}
    reasons = {k.get("reason") for _, k in log}
    assert {"an irkit bundle", "an unpacked irkit bundle", "a YARA rule file",
            "a Sigma rule file", "a Falco rule file", "an osquery pack"} <= reasons  # fmt: skip


def test_what_a_rule_set_is_is_said_once_by_the_mention_markers() -> None:
    """The walk skips exactly what a marker with meta `skip` recognises, under its suffixes;
    the same bytes under another name, or a marker that only caps, are scanned."""
    sigma = b"title: m\nlogsource:\n  product: linux\ndetection:\n  sel: x\n"
    assert rule_set_kind("/r/miner.yml", sigma) == "a Sigma rule file"
    assert rule_set_kind("/r/miner.txt", sigma) is None
    docs = b"Run the miner with the following options:\n\n    ./xmrig -o h:3333\n"
    assert rule_set_kind("/r/README.yml", docs) is None
    assert ".yar" in skippable_suffixes() and ".md" not in skippable_suffixes()


def test_a_named_scan_still_reads_everything(tree: Path, tmp_path: Path) -> None:
    hits, _ = scanned(tree, tmp_path)
    assert {"review/case/files/xmrig", "sigma.yml", "dropped.sh", "rules.yar"} <= hits


def test_executables_then_newest_first(tmp_path: Path) -> None:
    for index, name in enumerate(["old", "new", "tool", "older-tool"]):
        path = tmp_path / name
        path.write_bytes(b"x")
        os.utime(path, (1_700_000_000 + index, 1_700_000_000 + index * 1000))
    (tmp_path / "tool").chmod(0o755)
    (tmp_path / "older-tool").chmod(0o755)
    os.utime(tmp_path / "older-tool", (1, 1))
    order = [Path(p).name for p, _ in walk_files([tmp_path], FileScanOptions(newest_first=True))]
    assert order == ["tool", "older-tool", "new", "old"]


def test_the_deadline_stops_the_walk_and_says_so(tree: Path, tmp_path: Path) -> None:
    stats = TreeStats()
    (tmp_path / "m.yar").write_text(RULE)
    rules = compile_rules(tmp_path / "m.yar").rules
    log: list[tuple] = []
    options = FileScanOptions(deadline=time.monotonic() - 1)
    found = list(scan_tree(rules, [tree], options, stats=stats, log=lambda *a, **k: log.append(a)))
    assert found == [] and stats.cut and stats.files == 0
    assert ("scan-tree", "partial", None) in log
