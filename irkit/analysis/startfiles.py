"""Which files a miner or tunnel was started with, and what they say.

A miner run as `xmrig -c config.json` (or with a config.json beside it, which XMRig loads by
default) has no pool, wallet or worker on its command line: they are in the config, and the
pool it actually used is in its log (`use pool host:port`, `POOL #1 host:port`, `new job from
host:port`). `process_configs` says where a process's config may be; what irkit found is a
`StartedConfig` record, whose IOCs (`source` "config") the analysis reads back
(`started_config_iocs`). A tunnel started with a config file (`frpc -c frpc.toml`,
`ssh -F cfg`, `gost -C`, `cloudflared --config`) has its destination there (`server_addr`,
`HostName`, `Port`, `RemoteForward`...). The configs of persistence commands and launch files
are `irkit.analysis.launches`'; `irkit.startedfiles` reads them all from the host.
"""

import json
import posixpath
import re
from dataclasses import dataclass, field
from typing import Any, ClassVar

from irkit.analysis.iocs import Ioc, iocs_from_argv, keep, option_values
from irkit.analysis.signals import INTERPRETERS, command_starts_miner
from irkit.analysis.tunnels import Tunnel
from irkit.evidence.records import Record

CONFIG_OPTIONS = ("-c", "--config")
_LOG_OPTIONS = ("-l", "--log-file")
DEFAULT_CONFIGS = ("config.json", "config.ini")
LOG_POOL = re.compile(
    r"(?:use pool|POOL #\d+|new job from|connected to)\s+"
    r"((?:[a-z0-9+]+://)?[A-Za-z0-9.\-_]+:\d{2,5})\b"
)
MAX_LOG_POOLS = 64


def absolute(path: str, cwd: str | None) -> str | None:
    if "\0" in path or not path:
        return None
    if path.startswith("/"):
        return posixpath.normpath(path)
    return posixpath.normpath(posixpath.join(cwd, path)) if cwd and cwd.startswith("/") else None


def started_with(argv: list[str], exe: str | None, cwd: str | None) -> list[tuple[str, str]]:
    """(`config` or `log`, absolute path) of each file the command names, then config.json
    beside the executable and in the working directory (XMRig's defaults)."""
    found: list[tuple[str, str]] = []
    for kind, options in (("config", CONFIG_OPTIONS), ("log", _LOG_OPTIONS)):
        for value in option_values(argv, options):
            path = absolute(value, cwd)
            if path:
                found.append((kind, path))
    if not any(kind == "config" for kind, _ in found):
        folders = [posixpath.dirname(exe) if exe and exe.startswith("/") else None, cwd]
        for folder in folders:
            for name in DEFAULT_CONFIGS:
                path = absolute(name, folder)
                if path and ("config", path) not in found:
                    found.append(("config", path))
    return found


STARTED_CONFIGS_MEMBER = "records/started-configs.jsonl"


@dataclass
class StartedConfig(Record):
    """A miner config that a process runs with, or that a persistence entry starts a miner
    with, read during the triage: where it is, why irkit looked there, its copy in the bundle
    and what it names (IOC dicts, `source` "config")."""

    kind: ClassVar[str] = "started-config"
    path: str
    """The config's path on the host."""
    how: str
    """Why irkit read it: "named on its command line", "beside its executable", "in its working
    directory", "beside the program it starts", "copied into the image by", "mounted into the
    container by", "beside the file that starts it"."""
    pid: int | None = None
    """The process that runs with it."""
    entry: str | None = None
    """The persistence entry (`source:line`), or the path of the flagged launch file, that starts
    a miner with it."""
    member: str | None = None
    """Its copy in the bundle."""
    sha256: str | None = None
    """sha256 of the copy."""
    iocs: list[dict[str, Any]] = field(default_factory=list)
    """What it names, as `ioc` dicts with `source` "config" (docs/iocs.md, "Configs and logs")."""
    log: str | None = None
    """The `log-file` it names, read after the analysis when its process is flagged."""


def started_config_iocs(record: dict[str, Any]) -> list[Ioc]:
    """The IOCs of a started-config record, as the analysis reads it back (from this run or a
    bundle): items of the wrong shape and values that are no IOC are dropped."""
    pid, path = record.get("pid"), record.get("path")
    context = f"config {path}" + (f" of pid {pid}" if isinstance(pid, int) else "")
    items = record.get("iocs")
    out = []
    for item in items if isinstance(items, list) else []:
        if not isinstance(item, dict):
            continue
        kind, value, detail = item.get("ioc_type"), item.get("value"), item.get("detail")
        if not isinstance(kind, str) or not isinstance(value, str):
            continue
        validated = item.get("validated") if isinstance(item.get("validated"), bool) else None
        detail = dict(detail) if isinstance(detail, dict) else {}
        out.append(Ioc(kind, value, context, validated, detail, "config"))
    return keep(out)


def config_reason(record: dict[str, Any]) -> str:
    """What a persistence entry's or a launch file's finding says of the config it starts a
    miner with."""
    named = started_config_iocs(record)
    values = [i.value for i in named if i.ioc_type in ("pool-host", "wallet", "worker")]
    return (
        f"the config it starts the miner with, {record.get('path')} ({record.get('how')}), "
        f"names {', '.join(values) or 'a pool'}"
    )


NAMED = "named on its command line"
BESIDE_EXE = "beside its executable"
IN_CWD = "in its working directory"
_MINER_EVIDENCE = ("wallet", "algorithm")


def is_miner_config(iocs: list[Ioc]) -> bool:
    """A config that names a pool and a wallet or an algorithm: a web app's `config.json`
    with a `url` and a `user` is not one."""
    types = {i.ioc_type for i in iocs}
    return "pool-host" in types and any(t in types for t in _MINER_EVIDENCE)


_PATH_LIKE = re.compile(r"^[^\s\x00-\x1f]{1,1024}$")
"""A config path: no spaces or control characters (`sh -c 'code'` names none)."""


def process_configs(argv: list[str], exe: str, cwd: str | None) -> list[tuple[str, str]]:
    """(how, path) of each config a process may run with: the ones its command line names,
    else config.json and config.ini beside its executable (XMRig's default) and, when its
    command names a miner, in its working directory."""
    interpreter = bool(argv) and INTERPRETERS.match(argv[0].rsplit("/", 1)[-1])
    values = [] if interpreter else option_values(argv, CONFIG_OPTIONS)
    named = [absolute(v, cwd) for v in values if _PATH_LIKE.match(v)]
    if any(named):
        return [(NAMED, path) for path in named if path]
    exe_dir = posixpath.dirname(exe) if exe.startswith("/") else None
    if not command_starts_miner(" ".join(argv)):
        cwd = None  # a daemon in / or a shell in a sample folder is not started with its cwd's file
    return [
        (BESIDE_EXE if posixpath.dirname(path) == exe_dir else IN_CWD, path)
        for _, path in started_with([], exe, cwd)
    ]


def log_file_of(config_text: str, cwd: str | None) -> str | None:
    """The `log-file` an XMRig-style JSON config names, as an absolute path."""
    try:
        data = json.loads(config_text)
    except (ValueError, RecursionError):
        return None
    value = data.get("log-file") if isinstance(data, dict) else None
    return absolute(value, cwd) if isinstance(value, str) else None


def iocs_from_log(text: str, context: str) -> list[Ioc]:
    """The pools a miner's log says it used."""
    found: list[Ioc] = []
    for match in list(LOG_POOL.finditer(text))[-MAX_LOG_POOLS:]:
        found += iocs_from_argv(["-o", match.group(1)], context, "log")
    return keep(found)


TUNNELCONFIG_OPTIONS = ("-c", "--config", "-F", "-C")
_CONFIG_KEY = re.compile(
    r"(?im)^\s*(server_addr|serveraddr|server_port|serverport|hostname|port|user"
    r"|remoteforward|localforward|dynamicforward|proxycommand|remote_port|remoteport)"
    r"\s*[=: ]\s*\"?([^\"\r\n#]{1,512}?)\"?\s*$"
)
MAX_TUNNEL_KEYS = 64


def tunnel_configs(argv: list[str], cwd: str | None) -> list[str]:
    """The config files a tunnel command names, as absolute paths."""
    paths = (absolute(v, cwd) for v in option_values(argv, TUNNELCONFIG_OPTIONS))
    return [p for p in paths if p]


def apply_tunnel_config(tunnel: Tunnel, text: str) -> None:
    """What a tunnel's config file (frp INI/TOML, an ssh_config, YAML `key: value`) says of its
    destination: a HostName replaces an ssh alias, a port replaces ssh's default 22."""
    for key, value in _CONFIG_KEY.findall(text)[:MAX_TUNNEL_KEYS]:
        key, value = key.lower().replace("_", ""), value.strip()
        if key == "hostname" or (key == "serveraddr" and not tunnel.host):
            tunnel.host = value
        elif key in ("serverport", "port") and value.isdigit() and len(value) <= 5:
            tunnel.port = int(value) if tunnel.port in (None, 22) else tunnel.port
        elif key == "user" and not tunnel.user:
            tunnel.user = value
        elif key.endswith("forward"):
            tunnel.forwards.append(f"{key[:-7].capitalize()}Forward {value}")
        elif key == "remoteport":
            tunnel.forwards.append(f"remote port {value}")
        elif key == "proxycommand":
            tunnel.proxy = value
    if any(f.startswith(("RemoteForward", "remote port")) for f in tunnel.forwards):
        tunnel.direction = "reverse"
