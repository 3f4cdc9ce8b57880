"""Which files a flagged miner was started with (its config and its log), and what its log says.

A miner run as `xmrig -c config.json` (or with a config.json beside it, which XMRig loads by
default) has no pool, wallet or worker on its command line: they are in the config, and the
pool it actually used is in its log (`use pool host:port`, `POOL #1 host:port`, `new job from
host:port`). The triage reads these files through the process's own root and cwd
(/proc/PID/root, /proc/PID/cwd) or through `--root`, copies them into the bundle and extracts
IOCs with `source` "config" or "log".
"""

import json
import posixpath
import re

from irkit.analysis.iocs import Ioc, iocs_from_argv, keep

_CONFIG_OPTIONS = ("-c", "--config")
_LOG_OPTIONS = ("-l", "--log-file")
DEFAULT_CONFIGS = ("config.json",)
LOG_POOL = re.compile(
    r"(?:use pool|POOL #\d+|new job from|connected to)\s+"
    r"((?:[a-z0-9+]+://)?[A-Za-z0-9.\-_]+:\d{2,5})\b"
)
MAX_LOG_POOLS = 64


def _values(argv: list[str], names: tuple[str, ...]) -> list[str]:
    out = []
    for i, arg in enumerate(argv):
        for name in names:
            if arg == name and i + 1 < len(argv):
                out.append(argv[i + 1])
            elif name.startswith("--") and arg.startswith(name + "="):
                out.append(arg.split("=", 1)[1])
    return out


def _absolute(path: str, cwd: str | None) -> str | None:
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
        for value in _values(argv, options):
            path = _absolute(value, cwd)
            if path:
                found.append((kind, path))
    if not any(kind == "config" for kind, _ in found):
        folders = [posixpath.dirname(exe) if exe and exe.startswith("/") else None, cwd]
        for folder in folders:
            for name in DEFAULT_CONFIGS:
                path = _absolute(name, folder)
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
    return _absolute(value, cwd) if isinstance(value, str) else None


def iocs_from_log(text: str, context: str) -> list[Ioc]:
    """The pools a miner's log says it used."""
    found: list[Ioc] = []
    for match in list(LOG_POOL.finditer(text))[-MAX_LOG_POOLS:]:
        found += iocs_from_argv(["-o", match.group(1)], context, "log")
    return keep(found)
