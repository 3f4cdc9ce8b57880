"""Compile a rule file or directory once, with the Loki/THOR external variables defined.

Compiled rules are cached in this process, keyed on the sha256 of the rule sources, so a
triage that scans files, then processes, then an image compiles once. An on-disk cache
(yara's save/load, `SHA256.yarc`: a changed pack has another name and is compiled afresh) is
used only when a caller passes `cache_dir`: the analyst's commands (scan, review) pass
`analyst_cache_dir()`, triage and collect never do, because on a suspect host irkit writes
nothing outside its output. A compiled-rules file can run code paths of libyara an attacker
chose, so one is loaded only from a directory and file owned by this user that nobody else
may write to.
"""

import hashlib
import os
import re
import stat
import sys
import threading
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from irkit.confined import open_regular, read_capped
from irkit.hunt.libyara import Rules, yara
from irkit.outfile import create_output

RULE_SUFFIXES = (".yar", ".yara")
MAX_INCLUDE_BYTES = 16 << 20

EXTERNALS: dict[str, str] = {
    "filename": "",
    "filepath": "",
    "extension": "",
    "filetype": "",
    "owner": "",
}
"""Loki/THOR external variables; public rule sets written for them compile unchanged."""

_YARA_LOCATION = re.compile(r"^(?P<file>.*)\((?P<line>\d+)\): (?P<message>.*)$")
_LINE_ONLY = re.compile(r"^line (?P<line>\d+): (?P<message>.*)$")


class RuleError(Exception):
    """Rules that do not compile; `problems` name file and line of each."""

    def __init__(self, problems: "list[Problem]") -> None:
        super().__init__("; ".join(str(p) for p in problems))
        self.problems = problems


@dataclass(frozen=True)
class Problem:
    file: str
    line: int | None
    message: str
    level: str = "error"

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line is not None else self.file
        return f"{where}: {self.level}: {self.message}"


@dataclass
class RuleSet:
    """Compiled rules plus where they came from."""

    rules: Rules
    sha256: str
    files: list[Path]
    warnings: list[Problem] = field(default_factory=list)


_cache: dict[str, RuleSet] = {}
_cache_lock = threading.Lock()


def default_rules_path() -> Path:
    """The rule pack shipped with irkit (package data, so a plain `pip install` finds it)."""
    return Path(str(resources.files("irkit") / "data" / "yara"))


def rule_files(source: Path) -> list[Path]:
    if source.is_dir():
        found = [p for p in sorted(source.rglob("*")) if p.suffix in RULE_SUFFIXES and p.is_file()]
        if not found:
            raise RuleError([Problem(str(source), None, "no .yar/.yara files")])
        return found
    if not source.is_file():
        what = "not a regular file or directory" if source.exists() else "no such file or directory"
        raise RuleError([Problem(str(source), None, f"rules: {what}")])
    return [source]


def _namespaces(files: list[Path], base: Path) -> dict[str, str]:
    """One namespace per file (its path below the rule dir, without suffix)."""
    names: dict[str, str] = {}
    for path in files:
        rel = path.relative_to(base) if base.is_dir() else Path(path.name)
        names[str(rel.with_suffix("")).replace(os.sep, ".")] = str(path)
    return names


def sources_sha256(files: list[Path]) -> str:
    digest = hashlib.sha256()
    for path in files:
        data = path.read_bytes()
        digest.update(f"{path.name}\0{len(data)}\0".encode())
        digest.update(data)
    return digest.hexdigest()


def parse_yara_message(message: str, default_file: str) -> Problem:
    """yara-python says `FILE(LINE): msg` or `line N: msg`; turn both into a Problem."""
    found = _YARA_LOCATION.match(message)
    if found:
        return Problem(found["file"], int(found["line"]), found["message"])
    found = _LINE_ONLY.match(message)
    if found:
        return Problem(default_file, int(found["line"]), found["message"])
    return Problem(default_file, None, message)


class Includes:
    """yara `include` read through the regular-file opener, at most MAX_INCLUDE_BYTES: an
    include of a FIFO or a device fails the compile with its reason instead of hanging it
    in libyara's own open. Relative includes resolve against the including file, as
    libyara does (for a nested include yara names the parent by its include text)."""

    def __init__(self) -> None:
        self.paths: dict[str, str] = {}
        self.problems: list[Problem] = []

    def __call__(self, requested: str, filename: str | None, namespace: str | None) -> str | None:
        parent = self.paths.get(filename or "", filename)
        base = os.path.dirname(parent) if parent else os.getcwd()
        path = os.path.normpath(os.path.join(base, requested))
        self.paths[requested] = path
        try:
            with open_regular(Path(path), follow=True) as handle:
                data, more = read_capped(handle.fileno(), MAX_INCLUDE_BYTES)
        except OSError as exc:
            self.problems.append(Problem(path, None, f"include: {exc.strerror or exc}"))
            return None
        if more:
            self.problems.append(Problem(path, None, f"include over {MAX_INCLUDE_BYTES} bytes"))
            return None
        return data.decode("utf-8", "replace")


def compile_sources(namespaces: dict[str, str]) -> Rules:
    """Compile {namespace: file} with the externals defined; RuleError names file and line."""
    includes = Includes()
    try:
        return yara.compile(filepaths=namespaces, externals=EXTERNALS, include_callback=includes)
    except yara.SyntaxError as exc:
        problem = parse_yara_message(str(exc), next(iter(namespaces.values())))
        raise RuleError([problem, *includes.problems]) from exc
    except yara.Error as exc:
        problem = Problem(next(iter(namespaces.values())), None, str(exc))
        raise RuleError([problem, *includes.problems]) from exc


def compile_rules(source: Path | None = None, *, cache_dir: Path | None = None) -> RuleSet:
    """Compile `source` (a .yar file or a directory of them; default: the shipped pack).

    Raises RuleError naming file and line when a rule does not compile.
    """
    source = source or default_rules_path()
    files = rule_files(source)
    digest = sources_sha256(files)
    with _cache_lock:
        cached = _cache.get(digest)
        if cached is not None:
            return cached
        rules = _load_disk_cache(cache_dir, digest)
        if rules is None:
            rules = compile_sources(_namespaces(files, source))
            _save_disk_cache(cache_dir, digest, rules)
        warnings = [yara_warning(w, str(files[0])) for w in getattr(rules, "warnings", None) or []]
        ruleset = RuleSet(rules, digest, files, warnings)
        _cache[digest] = ruleset
        return ruleset


def forget_compiled() -> None:
    """Drop the rule sets compiled in this process: a triage's hunts are over before its
    analysis and report, and the pack's compiled rules are 9.5 MiB of libyara's memory."""
    with _cache_lock:
        _cache.clear()


def yara_warning(message: str, default_file: str) -> Problem:
    problem = parse_yara_message(message, default_file)
    return Problem(problem.file, problem.line, problem.message, "warning")


def _private(st: os.stat_result) -> bool:
    """Owned by this user, writable by nobody else: the only compiled rules irkit loads."""
    return st.st_uid == os.geteuid() and not st.st_mode & 0o022


def _load_disk_cache(cache_dir: Path | None, digest: str) -> Rules | None:
    """The rules saved as `digest`, or None (absent, not private, or not loadable: compiled
    afresh and saved again)."""
    if cache_dir is None:
        return None
    try:
        if not _private(os.stat(cache_dir)):
            return None
        fd = os.open(cache_dir / f"{digest}.yarc", os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
    except OSError:
        return None
    with os.fdopen(fd, "rb") as handle:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode) or not _private(st):
            return None
        try:
            # libyara reads the file checked above through its descriptor's /proc link:
            # yara-python's file-object reading calls back into Python for every block
            # (6 ms instead of 1 for the shipped pack: a tenth of `irkit scan`'s start-up).
            return yara.load(filepath=f"/proc/self/fd/{fd}")
        except yara.Error:
            pass
        try:
            return yara.load(file=handle)  # no /proc mounted
        except yara.Error:
            return None


def _save_disk_cache(cache_dir: Path | None, digest: str, rules: Rules) -> None:
    """Save under a temporary name, then rename: a reader sees a whole file or none. A cache
    that cannot be written (read-only home, full disk) costs a compile next time, nothing more."""
    if cache_dir is None:
        return
    tmp = cache_dir / f".{digest}.{os.getpid()}.tmp"
    try:
        cache_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        with os.fdopen(create_output(tmp, force=True), "wb") as handle:
            rules.save(file=handle)
        tmp.replace(cache_dir / f"{digest}.yarc")
    except (OSError, yara.Error):
        tmp.unlink(missing_ok=True)


RULE_CACHE_ENV = "IRKIT_RULE_CACHE"
"""Set to 0 to keep an analyst's commands from writing compiled rules to disk."""


def analyst_cache_dir() -> Path | None:
    """Where scan and review keep compiled rules ($XDG_CACHE_HOME/irkit/yara), or None when
    IRKIT_RULE_CACHE=0 or this is the single file: that one is made to run on suspect hosts,
    where irkit writes nothing outside its output. Never used by triage or collect."""
    if os.environ.get(RULE_CACHE_ENV) == "0" or getattr(sys, "frozen", False):
        return None
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "irkit" / "yara"
