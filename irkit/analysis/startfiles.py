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
import shlex
from dataclasses import dataclass, field
from typing import Any, ClassVar

from irkit.analysis.iocs import Ioc, iocs_from_argv, keep, option_values
from irkit.analysis.signals import INTERPRETERS, command_starts_miner
from irkit.analysis.tunnels import Tunnel
from irkit.evidence.records import Record
from irkit.knowledge.miners import MINER_NAMES

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


STARTED_CONFIGS_MEMBER = "records/started-configs.jsonl"


@dataclass
class StartedConfig(Record):
    """A miner config that a process runs with, or that a persistence entry starts a miner
    with, read during the triage: where it is, why irkit looked there, its copy in the bundle
    and what it names (IOC dicts, `source` "config")."""

    kind: ClassVar[str] = "started-config"
    path: str
    how: str
    """Why irkit read it: "named on its command line", "beside its executable"..."""
    pid: int | None = None
    entry: str | None = None
    """The persistence entry (`source:line`) that starts the miner with it."""
    member: str | None = None
    sha256: str | None = None
    iocs: list[dict[str, Any]] = field(default_factory=list)
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
BESIDE_PROGRAM = "beside the program it starts"
_MINER_EVIDENCE = ("wallet", "algorithm")


def is_miner_config(iocs: list[Ioc]) -> bool:
    """A config that names a pool and a wallet or an algorithm: a web app's `config.json`
    with a `url` and a `user` is not one."""
    types = {i.ioc_type for i in iocs}
    return "pool-host" in types and any(t in types for t in _MINER_EVIDENCE)


WRAPPERS = frozenset(
    {"nohup", "setsid", "exec", "sudo", "doas", "env", "nice", "ionice", "taskset", "timeout",
     "screen", "tmux", "chrt", "stdbuf", "su", "runuser", "start-stop-daemon", "daemonize"}
)  # fmt: skip
"""Programs that start another; the miner is a later word of the same command."""
_SHELLS = re.compile(r"^(ba|da|z|k)?sh$")
_OPERATORS = frozenset({"&&", "||", ";", "|", "&", ";;", "(", ")", "|&"})
MAX_COMMAND = 1 << 16
"""Characters of one persistence command read for the programs it starts."""
MAX_SHELL_DEPTH = 4


def _segments(command: str) -> list[list[str]]:
    """The simple commands of a shell line, split at `&&`, `;`, `|`..."""
    lexer = shlex.shlex(command[:MAX_COMMAND], posix=True, punctuation_chars=True)
    lexer.whitespace_split = True
    segments: list[list[str]] = [[]]
    try:
        for word in lexer:
            if word in _OPERATORS:
                segments.append([])
            else:
                segments[-1].append(word)
    except ValueError:  # an unclosed quote: what was read so far
        pass
    return [s for s in segments if s]


def _program(words: list[str]) -> int | None:
    """Index of the program a simple command runs: a miner's name wherever it stands, else the
    first word that is no wrapper, option, variable assignment or wrapper's argument."""
    for i, word in enumerate(words):
        if MINER_NAMES.search(word.rsplit("/", 1)[-1]):
            return i
    for i, word in enumerate(words):
        name = word.lstrip("-@+!:").rsplit("/", 1)[-1]
        if name in WRAPPERS or word.startswith("-") or "=" in word or word.isdigit():
            continue
        return i
    return None


_ASSIGNMENT = re.compile(
    r"^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]{0,63})=([^\s;&|`$()]{1,1024})\s*$"
)
_VARIABLE = re.compile(r"\$\{?([A-Za-z_][A-Za-z0-9_]{0,63})\}?")


def assignment(text: str) -> tuple[str, str] | None:
    """`NAME=value` (a cron environment line, an rc or profile line, `export NAME=value`) with
    a plain value, quotes removed."""
    match = _ASSIGNMENT.match(text.replace('"', "").replace("'", ""))
    return (match.group(1), match.group(2)) if match else None


def expand(command: str, variables: dict[str, str]) -> str:
    """`$NAME` and `${NAME}` replaced by the values the same file set (one pass: a value is
    never expanded again); any other variable is left as it is."""
    if not variables or "$" not in command:
        return command
    return _VARIABLE.sub(lambda m: variables.get(m.group(1), m.group(0)), command[:MAX_COMMAND])


def launched_configs(command: str, depth: int = 0) -> list[tuple[str, str]]:
    """(how, absolute path) of each config a persistence command starts a miner with: the
    `-c`/`--config` it names (relative to a `cd DIR` before it, else to the program's
    directory), else config.json and config.ini beside the program (XMRig's and nanominer's
    defaults). `sh -c '...'` is read inside."""
    found: list[tuple[str, str]] = []
    cwd: str | None = None
    for words in _segments(command):
        if words[0] == "cd" and len(words) > 1:
            cwd = absolute(words[1], cwd) if words[1].startswith("/") or cwd else None
            continue
        if _SHELLS.match(words[0].lstrip("-@+!:").rsplit("/", 1)[-1]) and "-c" in words:
            inner = words.index("-c") + 1
            if inner < len(words) and depth < MAX_SHELL_DEPTH:
                found += launched_configs(words[inner], depth + 1)
            continue
        start = _program(words)
        if start is None or not command_starts_miner(" ".join(words)):
            continue
        program = absolute(words[start].lstrip("-@+!:"), cwd)
        folder = cwd or (posixpath.dirname(program) if program else None)
        named = [absolute(v, folder) for v in option_values(words[start:], _CONFIG_OPTIONS)]
        found += [(NAMED, path) for path in named if path]
        if not named and program:
            found += [(BESIDE_PROGRAM, posixpath.join(posixpath.dirname(program), name))
                      for name in DEFAULT_CONFIGS]  # fmt: skip
    return list(dict.fromkeys(found))


_PATH_LIKE = re.compile(r"^[^\s\x00-\x1f]{1,1024}$")
"""A config path: no spaces or control characters (`sh -c 'code'` names none)."""


def process_configs(argv: list[str], exe: str, cwd: str | None) -> list[tuple[str, str]]:
    """(how, path) of each config a process may run with: the ones its command line names,
    else config.json and config.ini beside its executable (XMRig's default) and, when its
    command names a miner, in its working directory."""
    interpreter = bool(argv) and INTERPRETERS.match(argv[0].rsplit("/", 1)[-1])
    values = [] if interpreter else option_values(argv, _CONFIG_OPTIONS)
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


BESIDE_FILE = "beside the file that starts it"
COPIED_BY = "copied into the image by"
MOUNTED_BY = "mounted into the container by"
CONFIG_SUFFIXES = (".json", ".ini", ".conf", ".txt", ".toml", ".cfg")
MAX_FILE_CONFIGS = 16
_DOCKER_COPY = re.compile(r"(?im)^[ \t]*(?:COPY|ADD)[ \t]+([^\r\n]{1,2048})$")
_SHORT_VOLUME = re.compile(r"""(?m)^[ \t]*-[ \t]*["']?((?:\.{1,2}/|/|~/)[^:"'\s]{0,1024}):/""")
_LONG_SOURCE = re.compile(
    r"""(?m)^[ \t]*-?[ \t]*source:[ \t]*["']?((?:\.{1,2}/|/)[^"'\s]{0,1024})"""
)
_HOST_PATH = re.compile(
    r"""hostPath:[ \t]*(?:\{[ \t]*|\r?\n[ \t]+)path:[ \t]*["']?(/[^"'\s,}]{0,1024})"""
)


def _docker_sources(text: str) -> list[str]:
    """The build-context sources of a Dockerfile's COPY and ADD (not `--from` a stage, not
    URLs), shell or JSON form."""
    sources: list[str] = []
    for line in _DOCKER_COPY.findall(text):
        try:
            words = json.loads(line) if line.lstrip().startswith("[") else shlex.split(line)
        except (ValueError, RecursionError):
            continue
        if not isinstance(words, list) or any(str(w).startswith("--from") for w in words):
            continue
        words = [str(w) for w in words if not str(w).startswith("--")]
        sources += [w for w in words[:-1] if "://" not in w and not any(c in w for c in "*?$")]
    return sources


MAX_SCRIPT_LINES = 10_000


def is_container_manifest(path: str) -> bool:
    """A Dockerfile, compose file or Kubernetes manifest: the paths in its commands are the
    container's, not the host's."""
    name = path.rsplit("/", 1)[-1].lower()
    return name.startswith(("dockerfile", "containerfile")) or name.endswith((".yml", ".yaml"))


def file_configs(text: str, path: str) -> list[tuple[str, str]]:
    """(how, absolute host path) of each config a file that starts a miner (a YARA launch
    rule's hit: a script, a Dockerfile, a compose file, a Kubernetes manifest) brings along:
    what each of its lines starts a miner with (`launched_configs`), the files its COPY/ADD
    take from the build context, the host side of its volumes and hostPath mounts (a folder:
    config.json and config.ini in it), and config.json/config.ini beside the file itself.
    A config path inside a container's command is the container's, not the host's: unread."""
    folder = posixpath.dirname(path) if path.startswith("/") else None
    found: list[tuple[str, str]] = []
    if not is_container_manifest(path):
        for line in text.splitlines()[:MAX_SCRIPT_LINES]:
            if command_starts_miner(line):
                found += launched_configs(line)
    places = [(COPIED_BY, s) for s in _docker_sources(text)]
    places += [(MOUNTED_BY, m) for m in _SHORT_VOLUME.findall(text) + _LONG_SOURCE.findall(text)]
    places += [(MOUNTED_BY, m) for m in _HOST_PATH.findall(text)]
    for how, place in places:
        if place.startswith("~"):
            continue
        where = absolute(place, folder)
        if where is None:
            continue
        if where.lower().endswith(CONFIG_SUFFIXES):
            found.append((how, where))
        else:
            found += [(how, posixpath.join(where, name)) for name in DEFAULT_CONFIGS]
    if folder:
        found += [(BESIDE_FILE, posixpath.join(folder, name)) for name in DEFAULT_CONFIGS]
    first: dict[str, str] = {}
    for how, where in found:
        first.setdefault(where, how)
    return [(how, where) for where, how in first.items()][:MAX_FILE_CONFIGS]


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
