"""Which files a flagged miner or tunnel was started with, and what they say.

A miner run as `xmrig -c config.json` (or with a config.json beside it, which XMRig loads by
default) has no pool, wallet or worker on its command line: they are in the config, and the
pool it actually used is in its log (`use pool host:port`, `POOL #1 host:port`, `new job from
host:port`). The triage reads these files through the process's own root and cwd
(/proc/PID/root, /proc/PID/cwd) or through `--root`, copies them into the bundle and extracts
IOCs with `source` "config" or "log". A tunnel started with a config file (`frpc -c frpc.toml`,
`ssh -F cfg`, `gost -C`, `cloudflared --config`) has its destination there (`server_addr`,
`HostName`, `Port`, `RemoteForward`...).
"""

import json
import posixpath
import re

from irkit.analysis.iocs import Ioc, iocs_from_argv, keep, option_values
from irkit.analysis.tunnels import Tunnel

_CONFIG_OPTIONS = ("-c", "--config")
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
    for kind, options in (("config", _CONFIG_OPTIONS), ("log", _LOG_OPTIONS)):
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


TUNNEL_CONFIG_OPTIONS = ("-c", "--config", "-F", "-C")
_CONFIG_KEY = re.compile(
    r"(?im)^\s*(server_addr|serveraddr|server_port|serverport|hostname|port|user"
    r"|remoteforward|localforward|dynamicforward|proxycommand|remote_port|remoteport)"
    r"\s*[=: ]\s*\"?([^\"\r\n#]{1,512}?)\"?\s*$"
)
MAX_TUNNEL_KEYS = 64


def tunnel_configs(argv: list[str], cwd: str | None) -> list[str]:
    """The config files a tunnel command names, as absolute paths."""
    paths = (absolute(v, cwd) for v in option_values(argv, TUNNEL_CONFIG_OPTIONS))
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
