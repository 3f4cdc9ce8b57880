"""Which configs a command or a file starts a miner with, read off its text.

A persistence entry (a systemd `Exec*` line, a cron or rc line) names its miner's config
(`--config=FILE`, `cd DIR && ./xmrig -c c.json`, `$CFG` set in the same file) or relies on the
config beside the program. A Dockerfile, compose file or Kubernetes manifest brings the config
from the host (COPY, volumes, hostPath); the paths in the container's own command are the
container's, never read on the host. `irkit.startedfiles` reads what these name.
"""

import json
import posixpath
import re
import shlex

from irkit.analysis.iocs import option_values
from irkit.analysis.signals import OPTION_PARTS, command_starts_miner
from irkit.analysis.startfiles import CONFIG_OPTIONS, DEFAULT_CONFIGS, NAMED, absolute
from irkit.analysis.words import QUOTING_OR_COMMENT, shell_tokens
from irkit.knowledge.miners import MINER_NAMES, NAME_PARTS

BESIDE_PROGRAM = "beside the program it starts"
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
    segments: list[list[str]] = [[]]
    for word in shell_tokens(command[:MAX_COMMAND]):
        if word in _OPERATORS:
            segments.append([])
        else:
            segments[-1].append(word)
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
    if not may_start_miner(command):
        return []
    return _launched_configs(command, depth)


def may_start_miner(command: str) -> bool:
    """False when no simple command of `command` can start a miner, by a test cheaper than
    splitting it (every persistence command is read, nearly none starts a miner): ASCII, with
    nothing quoted, escaped or commented, its words are pieces of it and are joined with
    spaces, so a miner's name (`NAME_PARTS`, none with a space) or option (`OPTION_PARTS`) in
    a segment is in the command itself."""
    if not command.isascii() or QUOTING_OR_COMMENT.search(command):
        return True
    lower = command.lower()
    return any(part in lower for part in NAME_PARTS) or any(
        part in command for part in OPTION_PARTS
    )


def _launched_configs(command: str, depth: int) -> list[tuple[str, str]]:
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
        if not command_starts_miner(" ".join(words)):  # the cheaper test first: most start none
            continue
        start = _program(words)
        if start is None:
            continue
        program = absolute(words[start].lstrip("-@+!:"), cwd)
        folder = cwd or (posixpath.dirname(program) if program else None)
        named = [absolute(v, folder) for v in option_values(words[start:], CONFIG_OPTIONS)]
        found += [(NAMED, path) for path in named if path]
        if not named and program:
            found += [(BESIDE_PROGRAM, posixpath.join(posixpath.dirname(program), name))
                      for name in DEFAULT_CONFIGS]  # fmt: skip
    return list(dict.fromkeys(found))


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
