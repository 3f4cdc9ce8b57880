"""The shipped rule pack: it lints clean, every rule fires on its synthetic sample, and
the real benign files of this machine raise nothing of medium severity or above."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from yarasamples import SAMPLES

import irkit
from irkit.evidence.records import SEVERITIES
from irkit.hunt import FileScanOptions, at_least, compile_rules, scan_tree
from irkit.hunt.lint import RuleInfo, check_rules, lint_marker, parse_rules

PACK = compile_rules()
REPORTED = {
    r.name for f in PACK.files for r in parse_rules(f) if not r.private and "cap" not in r.meta
}
"""Rules that report; the mention markers (meta `cap`) only steer other hits."""


def test_pack_lints_clean() -> None:
    report = check_rules(Path(__file__).resolve().parent.parent / "yara")
    assert report.rules >= 40
    assert [str(p) for p in report.problems] == []


def test_pack_is_grouped_by_what_it_finds() -> None:
    names = {f.name for f in PACK.files}
    assert names == {
        "miners_cpu.yar",
        "miners_gpu.yar",
        "miner_configs.yar",
        "droppers.yar",
        "miner_launch.yar",
        "mentions.yar",
        "rootkits.yar",
        "tunnels.yar",
    }


def test_every_rule_has_a_sample() -> None:
    assert set(SAMPLES) == REPORTED


@pytest.mark.parametrize("rule", sorted(SAMPLES))
def test_rule_fires_on_its_sample(rule: str, tmp_path: Path) -> None:
    sample = tmp_path / "sample"
    sample.write_bytes(SAMPLES[rule])
    results = list(scan_tree(PACK.rules, [sample]))
    assert rule in {hit.rule for result in results for hit in result.hits}


def test_pack_compiles_with_the_yara_cli_without_externals() -> None:
    """`yara -r` users and benchmarks/scan.py run the pack with no -d: no rule may need an
    external variable."""
    done = subprocess.run(
        ["yara", "-w", *map(str, PACK.files), "/dev/null"], capture_output=True, text=True
    )
    assert (done.returncode, done.stderr) == (0, "")


def test_meta_severities_are_known() -> None:
    used = {str(r.meta["severity"][0]) for f in PACK.files for r in parse_rules(f)}
    assert used <= set(SEVERITIES)


def test_blind_spots_are_covered(tmp_path: Path) -> None:
    """A stock modern config (bare host:port url), a curl|sh cron line and GPU miners."""
    stock = tmp_path / "config.json"
    stock.write_bytes(SAMPLES["IRKIT_MinerConfig_XMRig_JSON"])
    cron = tmp_path / "root"
    cron.write_bytes(SAMPLES["IRKIT_Dropper_Cron_Download_Exec"])
    hits = {h.rule for r in scan_tree(PACK.rules, [tmp_path]) for h in r.hits}
    assert {"IRKIT_MinerConfig_XMRig_JSON", "IRKIT_Dropper_Cron_Download_Exec"} <= hits
    assert sum(name.startswith("IRKIT_Miner_GPU_") for name in REPORTED) >= 8


def test_elf_gated_rules_do_not_fire_on_headerless_memory() -> None:
    """The file twin needs the ELF magic; its memory twin fires on the same strings."""
    data = SAMPLES["IRKIT_Miner_XMRig_ELF"][64:] + SAMPLES["IRKIT_Miner_XMRig_Memory"]
    rules = {m.rule for m in PACK.rules.match(data=data)}
    assert "IRKIT_Miner_XMRig_ELF" not in rules
    assert "IRKIT_Miner_XMRig_Memory" in rules


BENIGN = [Path("/usr/bin"), Path("/usr/lib"), Path(sys.base_prefix), Path(sys.prefix)]
BENIGN_MAX_SIZE = 64 << 20
"""Files above 64 MiB (a few LLVM/CUDA libraries) are left out to keep the test near a
minute on two cores; everything below is scanned, YARA rule sources included: rule files
are mentions (capped to low) and a copy of this very pack is never a finding."""


@pytest.mark.slow
def test_no_medium_hits_on_benign_system_files() -> None:
    roots = sorted({p.resolve() for p in BENIGN if p.is_dir()})
    options = FileScanOptions(
        max_size=BENIGN_MAX_SIZE,
        threads=max(2, os.cpu_count() or 2),
    )
    noisy = [
        (hit.rule, result.target)
        for result in scan_tree(PACK.rules, roots, options)
        for hit in at_least(result.hits, "medium")
    ]
    assert noisy == []


def test_irkit_installed_elsewhere_is_no_finding(tmp_path: Path) -> None:
    """irkit's own package in another environment (a venv, site-packages, /opt) holds the
    words of miner configs in its parsers' docstrings: none of its files is a finding. (It
    once was: nanominer's config keys as bare words in analysis/iocs.py were 'high'.)"""
    copy = tmp_path / "site-packages" / "irkit"
    shutil.copytree(Path(irkit.__file__).parent, copy)
    options = FileScanOptions(max_size=BENIGN_MAX_SIZE, threads=2)
    noisy = [
        (hit.rule, result.target)
        for result in scan_tree(PACK.rules, [copy.parent], options)
        for hit in at_least(result.hits, "medium")
    ]
    assert noisy == []


def test_mention_markers_lint_their_cap_and_skip() -> None:
    """A marker says how it caps and, when a walk may skip files by it, as what."""

    def marker(**meta: str) -> list[str]:
        info = RuleInfo("m", "m.yar", 1, meta={k: (v, 2) for k, v in meta.items()})
        return [p.message for p in lint_marker(info)]

    assert marker(cap="low", skip=".yml .yaml", container="a Sigma rule file") == []
    assert marker(cap="high") == ["rule m: cap 'high' not low/none"]
    assert marker(cap="low", skip=".yml") == ["rule m: skip without cap and container"]
    assert marker(cap="low", skip="yml", container="x") == ["rule m: skip is not .suffixes"]
