"""The `cryptominer` playbook against a shell baseline doing the least equivalent work.

The baseline is what a responder would type with the host's own tools: `ps`, `ss -tanp`,
`sha256sum` of every running executable, `cat` of the persistence files, and the `yara` CLI
over each process irkit flagged. Both run on the same host in one run, with a synthetic miner
(tests/minersample.py) running so that there is something to flag. The benchmark, not the
product, runs host programs. Wall time and peak RSS (of the whole process tree) as ratios.

    python benchmarks/triage.py
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests"))

from minersample import build_miner, stratum_server, synthetic_monero_wallet  # noqa: E402

from irkit.evidence.reader import BundleReader  # noqa: E402
from irkit.hunt import default_rules_path  # noqa: E402

PERSISTENCE_GLOBS = (
    "/etc/crontab /etc/cron.d/* /etc/cron.hourly/* /etc/cron.daily/* /etc/cron.weekly/* "
    "/etc/cron.monthly/* /var/spool/cron/* /var/spool/cron/crontabs/* /etc/anacrontab "
    "/etc/systemd/system/* /etc/systemd/system/*/* /lib/systemd/system/* /usr/lib/systemd/system/* "
    "/etc/init.d/* /etc/rc.local /etc/profile /etc/profile.d/* /etc/bash.bashrc /root/.bashrc "
    "/root/.profile /home/*/.bashrc /home/*/.profile /etc/ld.so.preload /root/.ssh/authorized_keys "
    "/home/*/.ssh/authorized_keys /etc/udev/rules.d/* /etc/modules-load.d/* /etc/update-motd.d/* "
    "/etc/xdg/autostart/*"
)
EXTERNALS = ("filename", "filepath", "extension", "filetype", "owner")


def run_measured(command: list[str], **kwargs: object) -> tuple[float, int, int, float]:
    """Wall seconds, peak RSS in KiB of the process tree, the exit code, and CPU seconds
    (user + system: on a loaded machine the figure that moves least)."""
    start = time.perf_counter()
    child = subprocess.Popen(  # type: ignore[call-overload]
        command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, **kwargs
    )
    _, status, usage = os.wait4(child.pid, 0)
    cpu = usage.ru_utime + usage.ru_stime
    return time.perf_counter() - start, usage.ru_maxrss, os.waitstatus_to_exitcode(status), cpu


def flagged_pids(bundle: Path) -> list[int]:
    with BundleReader(bundle) as reader:
        return [
            r["pid"]
            for r in reader.records("process-verdict")
            if r.get("severity") in ("medium", "high", "critical")
        ]


def baseline_script(out: Path, rules: list[Path], pids: list[int]) -> str:
    defines = " ".join(f"-d {name}=" for name in EXTERNALS)
    rule_args = " ".join(str(r) for r in rules)
    scans = "\n".join(f"yara -s {defines} {rule_args} {pid} >> {out}/yara.txt 2>&1" for pid in pids)
    return f"""
ps -eo pid,ppid,user,etime,pcpu,rss,args > {out}/ps.txt
ss -tanp > {out}/ss.txt
for p in /proc/[0-9]*; do readlink "$p/exe"; done 2>/dev/null | grep -v ' (deleted)' | sort -u \\
  | xargs -r -d '\\n' sha256sum > {out}/exe.sha256 2>/dev/null
cat {PERSISTENCE_GLOBS} > {out}/persistence.txt 2>/dev/null
{scans}
true
"""


def main() -> None:
    for tool in ("ps", "ss", "yara", "sha256sum", "gcc"):
        if shutil.which(tool) is None:
            sys.exit(f"{tool} not found: apt-get install procps iproute2 yara coreutils gcc")
    work = Path(tempfile.mkdtemp(prefix="irkit-bench-triage-"))
    wallet = synthetic_monero_wallet()
    binary = build_miner(work, wallet)
    hidden = work / ".x"
    hidden.mkdir()
    exe = hidden / "kworkerds"
    shutil.copy2(binary, exe)
    env = dict(os.environ, PYTHONPATH=str(REPO))
    with stratum_server() as (port, _):
        miner = subprocess.Popen(
            [str(exe), f"--url=stratum+tcp://127.0.0.1:{port}", f"--user={wallet}"],
            stdout=subprocess.PIPE,
        )
        try:
            assert miner.stdout is not None and miner.stdout.readline().strip() == b"ready"
            exe.unlink()
            bundle = work / "case.zip"
            irkit = [sys.executable, "-m", "irkit", "triage", "-q", "-o", str(bundle)]
            irkit_wall, irkit_rss, irkit_code, irkit_cpu = run_measured(irkit, env=env)
            pids = flagged_pids(bundle)
            rules = sorted(default_rules_path().glob("*.yar"))
            out = work / "baseline"
            out.mkdir()
            script = baseline_script(out, rules, pids)
            shell_wall, shell_rss, _, shell_cpu = run_measured(["bash", "-c", script])
        finally:
            miner.kill()
            miner.wait()
    processes = len([p for p in os.listdir("/proc") if p.isdigit()])
    result = {
        "processes": processes,
        "flagged_pids": len(pids),
        "irkit": {
            "wall_s": round(irkit_wall, 3),
            "cpu_s": round(irkit_cpu, 3),
            "peak_rss_kib": irkit_rss,
            "exit": irkit_code,
        },
        "shell": {
            "wall_s": round(shell_wall, 3),
            "cpu_s": round(shell_cpu, 3),
            "peak_rss_kib": shell_rss,
        },
        "wall_ratio_irkit_over_shell": round(irkit_wall / shell_wall, 2),
        "rss_ratio_irkit_over_shell": round(irkit_rss / shell_rss, 2),
        "uac_miner_artifacts_s": 34,
        "irkit_share_of_uac_miner_artifacts": round(irkit_wall / 34, 3),
    }
    print(json.dumps(result, indent=2))
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
