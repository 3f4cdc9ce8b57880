"""analyze's input checks and the records -> findings logic (the real image is in memory_guest/)."""

from pathlib import Path

from irkit.memory.analyze import (
    MemoryAnalysis,
    MemoryProcess,
    _findings,
    flag_hidden,
    symbols_in_dir,
)


def _process(pid: int, name: str, args: str | None) -> MemoryProcess:
    return MemoryProcess(pid, 1, name, args, 0, None, None)


def test_miner_arguments_become_findings() -> None:
    result = MemoryAnalysis(image="img", image_format="lime")
    result.processes = [
        _process(10, "kworker/0:1", "-o stratum+ssl://pool.invalid:443 -u w --donate-level 0"),
        _process(11, "sshd", "/usr/sbin/sshd -D"),
        _process(12, "kthreadd", None),
    ]
    findings = list(_findings(result))
    assert [f.pid for f in findings] == [10]
    assert findings[0].severity == "high" and findings[0].mitre == ["T1496"]


def test_processes_missing_from_live_listing_are_flagged_hidden() -> None:
    processes = [
        _process(1, "init", None),
        _process(666, "xmrig", None),
        _process(0, "swapper", None),
    ]
    findings = flag_hidden(processes, {1})
    assert [f.pid for f in findings] == [666]
    assert processes[1].flags == ["hidden-pid"] and findings[0].mitre == ["T1014"]


def test_symbols_dir_accepts_collected_layout(tmp_path: Path) -> None:
    (tmp_path / "sys/kernel/btf").mkdir(parents=True)
    (tmp_path / "sys/kernel/btf/vmlinux").write_bytes(b"x")
    (tmp_path / "proc").mkdir()
    (tmp_path / "proc/kallsyms").write_text("x")
    (tmp_path / "proc/version").write_text("x")
    assert symbols_in_dir(tmp_path).missing() == []
    assert len(symbols_in_dir(tmp_path / "proc").missing()) == 1


def test_analyze_bad_inputs_are_usage_errors(tmp_path: Path, run_irkit) -> None:  # type: ignore[no-untyped-def]
    done = run_irkit("memory", "analyze", tmp_path / "absent.lime")
    assert done.returncode == 2 and b"no such image" in done.stderr
    image = tmp_path / "img.raw"
    image.write_bytes(b"\0" * 4096)
    bad_isf = tmp_path / "bad.json"
    bad_isf.write_text('{"metadata": {"format": "6.2.0"}}')
    done = run_irkit("memory", "analyze", image, "--isf", bad_isf)
    assert done.returncode == 2 and b"schema" in done.stderr
    done = run_irkit("memory", "analyze", image, "--btf", image)
    assert done.returncode == 2 and b"go together" in done.stderr
    done = run_irkit("memory", "analyze", image, "--plugins", "pslist,nope")
    assert done.returncode == 2 and b"unknown plugin" in done.stderr
    assert b"Traceback" not in done.stderr
