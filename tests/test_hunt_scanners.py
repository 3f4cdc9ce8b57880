"""The scanners on real targets: trees (walk rules, externals, errors), live process
memory of a spawned child, and memory images streamed in overlapping windows."""

import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from irkit.hunt import (
    FileScanner,
    FileScanOptions,
    compile_rules,
    hit_to_finding,
    scan_memory_image,
    scan_process_memory,
    scan_tree,
)
from irkit.hunt.files import SMALL_FILE
from irkit.hunt.process import skip_reason
from irkit.parsers.procmaps import parse_maps

MARKER = "IRKIT_TEST_MARKER_7f3a"
MARKER_RULE = f"""
rule marker
{{
    meta:
        description = "test marker"
        severity = "high"
        reference = "https://example.invalid/"
        mitre = "T1496"
        date = "2026-11-30"
    strings:
        $m = "{MARKER}"
    condition:
        $m
}}

rule loki_style
{{
    meta:
        description = "Loki/THOR externals"
        severity = "medium"
        reference = "https://github.com/Neo23x0/Loki"
        mitre = "T1036"
        date = "2026-11-30"
    condition:
        filename == "update.sh" and filepath contains "/drop/" and extension == ".sh"
        and filetype == "SCRIPT" and owner == "root"
}}
"""


@pytest.fixture
def rules(tmp_path_factory: pytest.TempPathFactory) -> object:
    path = tmp_path_factory.mktemp("rules") / "test.yar"
    path.write_text(MARKER_RULE)
    return compile_rules(path).rules


def _names(results: Iterator) -> dict[str, set[str]]:  # type: ignore[type-arg]
    found: dict[str, set[str]] = {}
    for result in results:
        for hit in result.hits:
            found.setdefault(Path(result.target).name, set()).add(hit.rule)
    return found


def test_compiled_rules_are_cached_on_content(tmp_path: Path) -> None:
    path = tmp_path / "a.yar"
    path.write_text(MARKER_RULE)
    first = compile_rules(path)
    assert compile_rules(path) is first
    path.write_text(MARKER_RULE.replace("test marker", "changed"))
    assert compile_rules(path).sha256 != first.sha256


def test_disk_cache_only_where_asked(tmp_path: Path) -> None:
    path = tmp_path / "b.yar"
    path.write_text(MARKER_RULE + "\n// disk cache test\n")
    cache = tmp_path / "cache"
    ruleset = compile_rules(path, cache_dir=cache)
    assert [p.name for p in cache.iterdir()] == [f"{ruleset.sha256}.yarc"]


@pytest.mark.skipif(os.geteuid() != 0, reason="owner external is compared to root")
def test_loki_externals_compile_and_match(rules: object, tmp_path: Path) -> None:
    (tmp_path / "drop").mkdir()
    (tmp_path / "drop" / "update.sh").write_text("#!/bin/sh\necho\n")
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "update.sh").write_text("#!/bin/sh\necho\n")
    results = list(scan_tree(rules, [tmp_path]))
    assert [(r.target, [h.rule for h in r.hits]) for r in results] == [
        (str(tmp_path / "drop" / "update.sh"), ["loki_style"])
    ]


def test_walk_skips_symlinks_fifos_and_big_files(rules: object, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "hit.txt").write_text(MARKER)
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "link").symlink_to(outside)
    (tree / "file-link").symlink_to(outside / "hit.txt")
    os.mkfifo(tree / "fifo")
    (tree / "big.txt").write_text(MARKER + "x" * 5000)
    (tree / "small.txt").write_text(MARKER)
    found = _names(scan_tree(rules, [tree], FileScanOptions(max_size=4096)))
    assert found == {"small.txt": {"marker"}}


def test_globs_and_skip_dirs(rules: object, tmp_path: Path) -> None:
    for name in ("a.sh", "b.txt", "c.sh"):
        (tmp_path / name).write_text(MARKER)
    (tmp_path / "skipme").mkdir()
    (tmp_path / "skipme" / "d.sh").write_text(MARKER)
    options = FileScanOptions(include=["*.sh"], exclude=["c.*"], skip=(str(tmp_path / "skipme"),))
    assert set(_names(scan_tree(rules, [tmp_path], options))) == {"a.sh"}


def test_a_vanished_file_is_an_error_not_a_crash(rules: object, tmp_path: Path) -> None:
    result = FileScanner(rules).scan_file(tmp_path / "gone")
    assert result.hits == [] and result.errors and "FileNotFoundError" in result.errors[0]


def test_log_gets_errors_per_target(rules: object, tmp_path: Path) -> None:
    logged: list[tuple[object, ...]] = []
    list(scan_tree(rules, [tmp_path / "missing"], log=lambda *a, **k: logged.append(a)))
    assert logged[0][:2] == ("scan-path", "error")


def test_file_offsets_and_finding(rules: object, tmp_path: Path) -> None:
    target = tmp_path / "x.bin"
    target.write_bytes(b"\0" * 100 + MARKER.encode())
    (hit,) = FileScanner(rules).scan_file(target, base=0x1000).hits
    assert (hit.rule, hit.strings[0].offset, hit.path) == ("marker", 0x1000 + 100, str(target))
    finding = hit_to_finding(hit)
    assert (finding.severity, finding.rule, finding.mitre) == ("high", "test.marker", ["T1496"])
    assert finding.to_dict()["type"] == "finding"


@pytest.mark.parametrize("size", [0, 5, SMALL_FILE - 40, SMALL_FILE + 1, 3 * SMALL_FILE])
def test_read_and_mapped_files_match_alike(rules: object, tmp_path: Path, size: int) -> None:
    """Files up to SMALL_FILE are read, larger ones mapped: the same hits, offsets and
    externals (the file type comes from the head either way)."""
    target = tmp_path / "drop" / "update.sh"
    target.parent.mkdir()
    body = b"#!/bin/sh\n" + b"\0" * size + MARKER.encode()
    target.write_bytes(body)
    (result,) = [r for r in scan_tree(rules, [tmp_path]) if r.target == str(target)]
    found = {hit.rule: hit for hit in result.hits}
    assert found["marker"].strings[0].offset == len(body) - len(MARKER)
    assert ("loki_style" in found) == (os.geteuid() == 0)  # the owner external is root's
    assert result.scanned == len(body) and not result.errors


def _image(tmp_path: Path, size: int, at: list[int]) -> Path:
    data = bytearray(size)
    for offset in at:
        data[offset : offset + len(MARKER)] = MARKER.encode()
    path = tmp_path / "mem.raw"
    path.write_bytes(data)
    return path


@pytest.mark.parametrize("offset", [4096 - 7, 3840 + 10, 4096 * 2, 100, 3 * 3840 - 1])
def test_image_match_across_a_window_border_is_found_once(
    rules: object, tmp_path: Path, offset: int
) -> None:
    image = _image(tmp_path, 5 * 4096, [offset])
    result = scan_memory_image(rules, image, window=4096, overlap=256)
    assert result.complete and result.scanned == 5 * 4096
    (hit,) = result.hits
    assert [(s.identifier, s.offset) for s in hit.strings] == [("$m", offset)]
    assert hit.matches == 1


def test_image_range_reports_physical_offsets(rules: object, tmp_path: Path) -> None:
    image = _image(tmp_path, 4 * 4096, [5000])
    result = scan_memory_image(
        rules, image, start=4096, length=8192, base=0x100000, window=2048, overlap=128
    )
    (hit,) = result.hits
    assert hit.strings[0].offset == 0x100000 + (5000 - 4096)


def test_maps_parser_fixture_and_corrupt_variant() -> None:
    fixture = textwrap.dedent(
        """\
        55d0c0a00000-55d0c0a02000 r--p 00000000 fd:01 1234   /usr/bin/cat
        7ffd1c000000-7ffd1c021000 rw-p 00000000 00:00 0      [stack]
        7f0000000000-7f0000100000 rw-s 00000000 00:05 77     /dev/nvidia0
        7f0000200000-7f0000300000 ---p 00000000 00:00 0
        ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0  [vsyscall]
        """
    ).encode()
    regions, problems = parse_maps(fixture)
    assert problems == []
    assert [(r.start, r.size, r.path) for r in regions][:2] == [
        (0x55D0C0A00000, 0x2000, "/usr/bin/cat"),
        (0x7FFD1C000000, 0x21000, "[stack]"),
    ]
    reasons = [skip_reason(r, 1 << 30) for r in regions]
    assert reasons == [None, None, "device mapping", "not readable", "not readable"]
    corrupt = b"garbage\n" + fixture[:40] + b"\n\xff\xfe zz-yy\n" + fixture.splitlines()[1]
    regions, problems = parse_maps(corrupt)
    assert [r.path for r in regions] == ["[stack]"]
    assert [p.split(":")[1] for p in problems] == ["1", "2", "3"]


CHILD = """
import sys, time
held = "".join(["IRKIT_TEST", "_MARKER", "_7f3a"])
sys.stdout.write("ready\\n"); sys.stdout.flush()
time.sleep(120)
"""


@pytest.fixture
def child() -> Iterator[subprocess.Popen[bytes]]:
    proc = subprocess.Popen([sys.executable, "-c", CHILD], stdout=subprocess.PIPE)
    assert proc.stdout is not None and proc.stdout.readline() == b"ready\n"
    yield proc
    proc.kill()
    proc.wait()


def test_process_memory_marker_found(rules: object, child: subprocess.Popen[bytes]) -> None:
    result = scan_process_memory(rules, child.pid)
    assert result.errors == []
    (hit,) = [h for h in result.hits if h.rule == "marker"]
    assert hit.pid == child.pid and hit.target == f"pid:{child.pid}"
    maps, _ = parse_maps(Path(f"/proc/{child.pid}/maps").read_bytes())
    assert any(r.start <= hit.strings[0].offset < r.end for r in maps)


def test_vanished_process_is_an_error(rules: object) -> None:
    result = scan_process_memory(rules, 2**22 + 12345)
    assert result.hits == [] and result.errors


MINER_CHILD = """
import sys, time
parts = ["XMR", "ig/6.21.0 (Linux x86_64) libuv/1.44.2", "strat", "um+tcp://pool.example.invalid:3333",
         '{"method":"lo', 'gin","params":{"algo":[', '"rx', '/0"]}}']
held = [parts[0] + parts[1], parts[2] + parts[3], parts[4] + parts[5] + parts[6] + parts[7]]
sys.stdout.write("ready\\n"); sys.stdout.flush()
time.sleep(120)
"""


def test_shipped_memory_rule_on_a_live_process() -> None:
    proc = subprocess.Popen([sys.executable, "-c", MINER_CHILD], stdout=subprocess.PIPE)
    try:
        assert proc.stdout is not None and proc.stdout.readline() == b"ready\n"
        result = scan_process_memory(compile_rules().rules, proc.pid)
    finally:
        proc.kill()
        proc.wait()
    assert "IRKIT_Miner_XMRig_Memory" in {h.rule for h in result.hits}


def test_scan_problems_become_log_lines() -> None:
    from irkit.evidence.log import CollectionLog
    from irkit.hunt.bundle import log_scan_problems
    from irkit.hunt.windows import TargetResult

    log = CollectionLog()
    result = TargetResult("pid:7", "process", errors=["0x1000+0x10: EIO"], notes=["[vvar]"])
    result.timed_out = True
    log_scan_problems(lambda *a, **k: log.add(a[0], "hunt", *a[1:], **k), result)
    assert [(e.outcome, e.error) for e in log.entries] == [
        ("error", "0x1000+0x10: EIO"),
        ("partial", "timeout"),
        ("partial", "[vvar]"),
    ]
