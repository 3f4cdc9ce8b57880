"""The files a flagged miner or tunnel was started with, read and copied during a triage.

`irkit.analysis.startfiles` says which files (a miner's config and log, a tunnel's config) and
what they mean; this reads them from the host: through the process's own root on a live host
(/proc/PID/root, so a container's files are found; links resolved inside that root), else
through `--root`. Each is copied into the bundle as evidence; one that is missing or refused is
a logged skip.

Miner configs are read before the analysis (`started_configs`), for every process and every
persistence entry that starts a miner: a miner run with no arguments has its pool and wallet
only there, and the analysis needs them to call it a miner. Only a config that names a pool
and a wallet or algorithm is kept; any other file read on the way stays out of the bundle.
"""

import io
import os
import posixpath
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from irkit.analysis.heuristics import Analysis, tunnel_ioc
from irkit.analysis.iocs import Ioc, iocs_from_config
from irkit.analysis.launches import assignment, expand, file_configs, launched_configs
from irkit.analysis.signals import command_starts_miner
from irkit.analysis.startfiles import (
    NAMED,
    StartedConfig,
    apply_tunnel_config,
    iocs_from_log,
    is_miner_config,
    log_file_of,
    process_configs,
    started_with,
    tunnel_configs,
)
from irkit.analysis.tunnels import parse_tunnel
from irkit.collectors.base import KEEP_FOR_PARSING, Context, CopiedFile
from irkit.collectors.failsoft import item_guard
from irkit.confined import NotRegularFile, open_in_root, read_capped
from irkit.evidence.records import Finding, severity_rank
from irkit.evidence.writer import host_file_member

MAX_STARTED_CONFIGS = 256
"""Miner configs kept from one host; a thousand workers of one miner need not give more."""
_ABSENT = (FileNotFoundError, NotADirectoryError, NotRegularFile)
"""Most places irkit looks for a default config hold none: not worth a log line."""


def started_file_iocs(
    ctx: Context, records: Sequence[Mapping[str, Any]], analysis: Analysis, threshold: str
) -> list[Ioc]:
    """IOCs from the logs of each miner and the configs of each tunnel at or above
    `threshold` (a miner's config was read before the analysis: `started_configs`); each IOC
    belongs to that process's finding."""
    floor = severity_rank(threshold)
    processes = {r.get("pid"): r for r in records if r.get("type") == "process"}
    logs: dict[Any, list[str]] = {}
    for r in records:
        if r.get("type") == StartedConfig.kind and isinstance(r.get("log"), str):
            logs.setdefault(r.get("pid"), []).append(r["log"])
    findings = {f.title: f for f in analysis.findings}
    found: list[Ioc] = []
    for verdict in analysis.verdicts:
        p = processes.get(verdict.pid)
        if p is None or severity_rank(verdict.severity) < floor:
            continue
        argv = [str(a) for a in p.get("cmdline") or []]
        cwd = p.get("cwd") if isinstance(p.get("cwd"), str) else None
        if verdict.verdict == "likely miner" or command_starts_miner(" ".join(argv)):
            named = [path for kind, path in started_with(argv, None, cwd) if kind == "log"]
            iocs = miner_logs(ctx, verdict.pid, named + logs.get(verdict.pid, []))
        elif verdict.verdict == "tunnel":
            iocs = tunnel_files(ctx, verdict.pid, argv, cwd, findings.get(verdict.title))
        else:
            continue
        for ioc in iocs:
            ioc.finding = verdict.title
        found += iocs
    return found


def miner_logs(ctx: Context, pid: int, paths: list[str]) -> list[Ioc]:
    """The pools a miner's logs (named on its command line or in its config) say it used."""
    found: list[Ioc] = []
    for path in dict.fromkeys(paths):
        copied = read_started_file(ctx, pid, path)
        if copied is not None:
            found += iocs_from_log(copied.text, f"log {path} of pid {pid}")
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


def read_started_file(ctx: Context, pid: int | None, path: str) -> CopiedFile | None:
    """Copy a file a process (or, with `pid` None, a persistence entry) was started with."""
    with item_guard(ctx, "started-file", pid=pid, path=path):
        handle, origin = open_started(ctx, pid, path)
        with handle:
            return copy_started(ctx, handle, origin)
    return None


RootKeys = dict[tuple[int, int], int]
"""The first pid seen with each root (device, inode): processes that share a root share one
copy of a file they all name (a config beside /usr/local/bin is one file, not one per process)."""


def open_started(
    ctx: Context, pid: int | None, path: str, roots: RootKeys | None = None
) -> tuple[io.FileIO, str]:
    """A file as the process sees it, and the origin its copy is recorded under: inside its
    own root on a live host, links resolved inside that root (a container's
    `/etc/x -> /etc/shadow` stays in the container); else under `--root`."""
    if pid is not None and ctx.proc_is_live:
        own = ctx.live_proc / str(pid) / "root"
        inner = inside_root(os.readlink(own), path)
        handle = open_in_root(own, inner, excluded=ctx.excluded)
        first = pid
        if roots is not None:
            root = os.stat(own)
            first = roots.setdefault((root.st_dev, root.st_ino), pid)
        return handle, f"/proc/{first}/root{inner}"
    return open_in_root(ctx.root, path, excluded=ctx.excluded), path


def inside_root(root: str, path: str) -> str:
    """A path as /proc/PID/cwd and /proc/PID/exe show it, inside the process's root. A
    chrooted process's root and cwd read as irkit sees them (`/jail`, `/jail/srv`), so the
    root is stripped; a container's read as the container sees them (root `/`)."""
    root = root.rstrip("/")
    if root and (path == root or path.startswith(root + "/")):
        return path[len(root) :] or "/"
    return path


def copy_started(ctx: Context, handle: io.FileIO, origin: str) -> CopiedFile:
    """Copy an opened file into the bundle (once per origin), cut at copy_bytes."""
    known = ctx.writer.copied_file(origin)
    if known is not None:
        return CopiedFile(known, handle.read(KEEP_FOR_PARSING))
    record, data = ctx.writer.copy_open_file(
        handle, origin, host_file_member(origin), collector=ctx.collector,
        limit=ctx.limits.copy_bytes, cap="copy_bytes", hash_limit=ctx.limits.hash_bytes,
        keep=KEEP_FOR_PARSING,
    )  # fmt: skip
    return CopiedFile(record, data)


Wanted = tuple[int | None, str | None, str, str]
"""(pid, persistence entry or file, how, path) of a config to look for."""


def started_configs(ctx: Context, records: Sequence[Mapping[str, Any]]) -> list[StartedConfig]:
    """The miner configs of every process (named by `-c`/`--config`, else config.json or
    config.ini beside its executable or in its working directory) and of every persistence
    entry that starts a miner; each kept one is copied into the bundle (the caller writes
    the records: `irkit.triage`)."""
    wanted: list[Wanted] = []
    variables = persistence_variables(records)
    for r in records:
        if r.get("type") == "process" and isinstance(r.get("pid"), int):
            argv = [str(a) for a in r.get("cmdline") or []]
            exe = str(r.get("exe") or "").removesuffix(" (deleted)")
            cwd = r["cwd"] if isinstance(r.get("cwd"), str) else None
            wanted += [(r["pid"], None, how, path) for how, path in process_configs(argv, exe, cwd)]
        elif r.get("type") == "persistence" and isinstance(r.get("command"), str):
            where = f"{r.get('source')}" + (f":{r['line']}" if r.get("line") else "")
            command = expand(r["command"], variables.get(str(r.get("source")), {}))
            wanted += [(None, where, how, path) for how, path in launched_configs(command)]
    return read_configs(ctx, wanted)


def persistence_variables(records: Sequence[Mapping[str, Any]]) -> dict[str, dict[str, str]]:
    """The variables each persistence file sets (`CFG=/opt/.m/c.json` in a crontab's
    environment or an rc.local line), by file: `xmrig -c $CFG` names that config."""
    found: dict[str, dict[str, str]] = {}
    for r in records:
        if r.get("type") != "persistence":
            continue
        detail = r.get("detail")
        environment = detail.get("environment") if isinstance(detail, dict) else None
        for text in (environment, r.get("command")):
            pair = assignment(text) if isinstance(text, str) else None
            if pair:
                found.setdefault(str(r.get("source")), {}).setdefault(*pair)
    return found


def file_started_configs(ctx: Context, host_path: str, text: str) -> list[StartedConfig]:
    """The configs a file a launch rule flagged (a script, a Dockerfile, a compose file, a
    Kubernetes manifest) starts a miner with, read under `--root`."""
    wanted: list[Wanted] = [(None, host_path, how, p) for how, p in file_configs(text, host_path)]
    return read_configs(ctx, wanted)


@dataclass
class ReadState:
    """What one pass of config reads shares: each root's first pid, and each file read (by
    origin) with what it was: a file many processes name is read, parsed and copied once."""

    roots: RootKeys = field(default_factory=dict)
    read: dict[str, StartedConfig | None] = field(default_factory=dict)


def read_configs(ctx: Context, wanted: list[Wanted]) -> list[StartedConfig]:
    found: list[StartedConfig] = []
    state = ReadState()
    for pid, entry, how, path in wanted:
        if len(found) >= MAX_STARTED_CONFIGS:
            ctx.log("started-config", "partial", f"more than {MAX_STARTED_CONFIGS} configs")
            break
        with item_guard(ctx, "started-config", pid=pid, entry=entry, path=path):
            config = read_config(ctx, pid, path, state)
            if config is not None:
                found.append(replace(config, pid=pid, how=how, entry=entry))
    return found


def read_config(ctx: Context, pid: int | None, path: str, state: ReadState) -> StartedConfig | None:
    """The config at `path` when it is a miner's (copied into the bundle), else None (read,
    bounded, and left out). A missing file is no log line: most places hold none."""
    try:
        handle, origin = open_started(ctx, pid, path, state.roots)
    except _ABSENT:
        return None
    with handle:
        if origin in state.read:
            return state.read[origin]
        state.read[origin] = None
        data, _ = read_capped(handle.fileno(), min(ctx.limits.copy_bytes, KEEP_FOR_PARSING))
        context = f"config {path}"
        text = data.decode("utf-8", "surrogateescape")
        if not is_miner_config(iocs_from_config(text, context, "config")):
            return None
        handle.seek(0, os.SEEK_SET)
        copied = copy_started(ctx, handle, origin)
    iocs = iocs_from_config(copied.text, context, "config")
    state.read[origin] = StartedConfig(
        path, NAMED, pid, None, copied.record.member, copied.record.sha256,
        [i.to_dict() for i in iocs], log_file_of(copied.text, posixpath.dirname(path)),
    )  # fmt: skip
    return state.read[origin]
