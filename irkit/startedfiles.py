"""The files a flagged miner or tunnel was started with, read and copied during a triage.

`irkit.analysis.startfiles` says which files (a miner's config and log, a tunnel's config) and
what they mean; this reads them from the host: through the process's own root on a live host
(/proc/PID/root, so a container's files are found), else through `--root`. Each is copied into
the bundle as evidence; one that is missing or refused is a logged skip.
"""

from typing import Any

from irkit.analysis.heuristics import Analysis, tunnel_ioc
from irkit.analysis.iocs import Ioc, iocs_from_config
from irkit.analysis.signals import command_starts_miner
from irkit.analysis.startfiles import (
    apply_tunnel_config,
    iocs_from_log,
    log_file_of,
    started_with,
    tunnel_configs,
)
from irkit.analysis.tunnels import parse_tunnel
from irkit.collectors.base import Context, CopiedFile
from irkit.collectors.failsoft import item_guard
from irkit.evidence.records import Finding, severity_rank


def started_file_iocs(
    ctx: Context, records: list[dict[str, Any]], analysis: Analysis, threshold: str
) -> list[Ioc]:
    """IOCs from the files each miner or tunnel at or above `threshold` was started with; each
    IOC belongs to that process's finding."""
    floor = severity_rank(threshold)
    processes = {r.get("pid"): r for r in records if r.get("type") == "process"}
    findings = {f.title: f for f in analysis.findings}
    found: list[Ioc] = []
    for verdict in analysis.verdicts:
        p = processes.get(verdict.pid)
        if p is None or severity_rank(verdict.severity) < floor:
            continue
        argv = [str(a) for a in p.get("cmdline") or []]
        cwd = p.get("cwd") if isinstance(p.get("cwd"), str) else None
        if verdict.verdict == "likely miner" or command_starts_miner(" ".join(argv)):
            exe = str(p.get("exe") or "").removesuffix(" (deleted)")
            iocs = miner_files(ctx, verdict.pid, started_with(argv, exe, cwd), cwd)
        elif verdict.verdict == "tunnel":
            iocs = tunnel_files(ctx, verdict.pid, argv, cwd, findings.get(verdict.title))
        else:
            continue
        for ioc in iocs:
            ioc.finding = verdict.title
        found += iocs
    return found


def miner_files(ctx: Context, pid: int, files: list[tuple[str, str]], cwd: str | None) -> list[Ioc]:
    """Pools, wallets, workers and algorithms of a miner's config, and the pools its log
    (named on the command line or in the config) says it used."""
    found: list[Ioc] = []
    while files:
        kind, path = files.pop(0)
        copied = read_started_file(ctx, pid, path)
        if copied is None:
            continue
        context = f"{kind} {path} of pid {pid}"
        if kind == "log":
            found += iocs_from_log(copied.text, context)
            continue
        found += iocs_from_config(copied.text, context, "config")
        log = log_file_of(copied.text, cwd)
        if log:
            files.append(("log", log))
    return found


def tunnel_files(
    ctx: Context, pid: int, argv: list[str], cwd: str | None, finding: Finding | None
) -> list[Ioc]:
    """The far end a tunnel's config file names (frpc -c, ssh -F, gost -C...); the finding
    says so too."""
    tunnel = parse_tunnel(argv)
    if tunnel is None:
        return []
    found: list[Ioc] = []
    for path in tunnel_configs(argv, cwd):
        copied = read_started_file(ctx, pid, path)
        if copied is None:
            continue
        before = tunnel.endpoint
        apply_tunnel_config(tunnel, copied.text)
        ioc = tunnel_ioc(tunnel, f"config {path} of pid {pid}", "config")
        if ioc is None or tunnel.endpoint == before:
            continue
        found.append(ioc)
        if finding is not None:
            finding.reasons.append(f"its config {path} names the far end: {tunnel.describe()}")
    return found


def read_started_file(ctx: Context, pid: int, path: str) -> CopiedFile | None:
    with item_guard(ctx, "started-file", pid=pid, path=path):
        if ctx.proc_is_live:
            return ctx.copy_proc_file(pid, "root", path.lstrip("/"))
        return ctx.copy_host_file(path)
    return None
