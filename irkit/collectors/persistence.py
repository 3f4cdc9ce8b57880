"""Everything that makes a program start again: cron, at, systemd, init scripts, shell
start-up files, the preload list, SSH keys, udev, module loading, motd, XDG autostart.

One record per entry (file, line, owner, schedule, command), and each file read is
copied into the bundle with its hash and times. The locations are a table below, so
adding one is one line; how each kind of file is read is in irkit/parsers.
"""

import os
import posixpath
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, ClassVar

from irkit.collectors.base import Collector, Context, CopiedFile
from irkit.collectors.failsoft import item_guard
from irkit.collectors.users import host_accounts, user_homes, user_names
from irkit.confined import open_dir_in_root, resolve_in_root
from irkit.evidence.records import Record
from irkit.lossless import fs_text
from irkit.parsers.atjob import parse_at_job, run_time_from_name
from irkit.parsers.autostart import (
    Entry,
    EntryParser,
    desktop_entries,
    module_entries,
    preload_entries,
    shell_entries,
    udev_entries,
)
from irkit.parsers.crontab import (
    AnacronEntry,
    CronEntry,
    CronEnvironment,
    parse_anacrontab,
    parse_crontab,
)
from irkit.parsers.lines import LineProblem, looks_binary
from irkit.parsers.sshkeys import AuthorizedKey, parse_authorized_keys
from irkit.parsers.systemd import UnitSetting, parse_unit

MAX_PROBLEMS_LOGGED = 20
TIMER_KEYS = frozenset(
    {
        "OnCalendar",
        "OnBootSec",
        "OnStartupSec",
        "OnActiveSec",
        "OnUnitActiveSec",
        "OnUnitInactiveSec",
    }
)
UNIT_SUFFIXES = (".service", ".timer", ".socket", ".path", ".mount", ".target", ".conf")


@dataclass
class PersistenceRecord(Record):
    kind: ClassVar[str] = "persistence"
    mechanism: str
    source: str
    line: int | None
    owner: str | None
    schedule: str | None
    command: str | None
    mtime: str | None = None
    ctime: str | None = None
    sha256: str | None = None
    member: str | None = None
    detail: dict[str, Any] = field(default_factory=dict)


def script_entry(schedule: str) -> EntryParser:
    """A directory of scripts run as a whole (run-parts, init.d, update-motd.d): the
    file is the entry."""

    def extract(data: bytes, path: str) -> Iterator[Entry | LineProblem]:
        first = data.split(b"\n", 1)[0]
        interpreter = fs_text(first[2:].strip()) if first.startswith(b"#!") else None
        detail: dict[str, Any] = {"interpreter": interpreter}
        if data.startswith(b"\x7fELF"):
            detail["elf"] = True
        yield Entry(None, path, schedule, detail=detail)

    return extract


def crontab_entries(system: bool) -> EntryParser:
    def extract(data: bytes, path: str) -> Iterator[Entry | LineProblem]:
        owner = None if system else path.rsplit("/", 1)[-1]
        for item in parse_crontab(data, system=system):
            if isinstance(item, CronEntry):
                yield Entry(item.line, item.command, item.schedule, item.user or owner)
            elif isinstance(item, CronEnvironment):
                yield Entry(
                    item.line,
                    None,
                    None,
                    owner,
                    detail={"environment": f"{item.name}={item.value}"},
                )
            else:
                yield item

    return extract


def anacron_entries(data: bytes, path: str) -> Iterator[Entry | LineProblem]:
    for item in parse_anacrontab(data):
        if isinstance(item, AnacronEntry):
            yield Entry(
                item.line,
                item.command,
                f"every {item.period} day(s), {item.delay} min",
                "root",
                detail={"job_id": item.job_id},
            )
        elif isinstance(item, CronEnvironment):
            yield Entry(
                item.line, None, None, "root", detail={"environment": f"{item.name}={item.value}"}
            )
        else:
            yield item


def at_entries(data: bytes, path: str) -> Iterator[Entry | LineProblem]:
    if path.endswith("/.SEQ"):
        return
    job = parse_at_job(data)
    yield from job.problems
    when = run_time_from_name(path.rsplit("/", 1)[-1])
    for command in job.commands:
        yield Entry(command.line, command.command, when, detail={"uid": job.uid})


def unit_entries(data: bytes, path: str) -> Iterator[Entry | LineProblem]:
    """Exec* lines of a unit, and the On* schedules of a timer (naming the unit it starts)."""
    name = path.rsplit("/", 1)[-1]
    if name.endswith(".conf") and path.rsplit("/", 2)[-2].endswith(".d"):
        name = path.rsplit("/", 2)[-2][:-2]
    settings: list[UnitSetting] = []
    for item in parse_unit(data):
        if isinstance(item, LineProblem):
            yield item
        else:
            settings.append(item)
    wanted = [v for s in settings if s.key in ("WantedBy", "RequiredBy") for v in s.value.split()]
    user = next((s.value for s in settings if s.key == "User"), None)
    started_by = "WantedBy=" + ",".join(wanted) if wanted else None
    if name.endswith(".timer"):
        target = next((s.value for s in settings if s.key == "Unit"), name[:-6] + ".service")
        for s in settings:
            if s.key in TIMER_KEYS:
                yield Entry(
                    s.line,
                    target,
                    f"{s.key}={s.value}",
                    None,
                    detail={"unit": name, "key": s.key, "wanted_by": wanted},
                )
    for s in settings:
        if s.key.startswith("Exec") and s.section != "Unit":
            yield Entry(
                s.line,
                s.value,
                started_by,
                user,
                detail={"unit": name, "key": s.key, "wanted_by": wanted},
            )


def key_entries(data: bytes, path: str) -> Iterator[Entry | LineProblem]:
    for item in parse_authorized_keys(data):
        if isinstance(item, LineProblem):
            yield item
        else:
            yield Entry(item.line, item.command, "ssh login", None, detail=_key_detail(item))


def _key_detail(key: AuthorizedKey) -> dict[str, Any]:
    return {
        "key_type": key.key_type,
        "fingerprint": key.fingerprint,
        "comment": key.comment,
        "options": key.options,
    }


@dataclass
class Location:
    mechanism: str
    path: str
    extract: EntryParser
    directory: bool = False
    suffix: tuple[str, ...] = ()
    scripts: bool = False
    """Files that are programs (may be binary) rather than text configuration."""


SYSTEM_LOCATIONS: tuple[Location, ...] = (
    Location("cron", "/etc/crontab", crontab_entries(system=True)),
    Location("cron", "/etc/cron.d", crontab_entries(system=True), directory=True),
    Location("cron", "/var/spool/cron/crontabs", crontab_entries(system=False), directory=True),
    Location("cron", "/var/spool/cron", crontab_entries(system=False), directory=True),
    Location("cron", "/var/spool/cron/tabs", crontab_entries(system=False), directory=True),
    *(
        Location("cron", f"/etc/cron.{period}", script_entry(period), directory=True, scripts=True)
        for period in ("hourly", "daily", "weekly", "monthly")
    ),
    Location("anacron", "/etc/anacrontab", anacron_entries),
    Location("at", "/var/spool/cron/atjobs", at_entries, directory=True),
    Location("at", "/var/spool/at", at_entries, directory=True),
    *(
        Location("systemd", d, unit_entries, directory=True, suffix=UNIT_SUFFIXES)
        for d in (
            "/etc/systemd/system",
            "/run/systemd/system",
            "/usr/local/lib/systemd/system",
            "/usr/lib/systemd/system",
            "/lib/systemd/system",
            "/etc/systemd/user",
            "/usr/lib/systemd/user",
        )
    ),
    Location("init.d", "/etc/init.d", script_entry("boot"), directory=True, scripts=True),
    Location("init.d", "/etc/rc.d/init.d", script_entry("boot"), directory=True, scripts=True),
    Location("rc.local", "/etc/rc.local", shell_entries("boot")),
    Location("rc.local", "/etc/rc.d/rc.local", shell_entries("boot")),
    *(
        Location("shell-rc", p, shell_entries("login shell"))
        for p in (
            "/etc/profile",
            "/etc/bash.bashrc",
            "/etc/bashrc",
            "/etc/zsh/zshrc",
            "/etc/zshrc",
            "/etc/environment",
        )
    ),
    Location("shell-rc", "/etc/profile.d", shell_entries("login shell"), directory=True),
    Location("ld.so.preload", "/etc/ld.so.preload", preload_entries),
    *(
        Location("udev", d, udev_entries, directory=True, suffix=(".rules",))
        for d in (
            "/etc/udev/rules.d",
            "/run/udev/rules.d",
            "/usr/lib/udev/rules.d",
            "/lib/udev/rules.d",
        )
    ),
    Location("modules-load", "/etc/modules", module_entries),
    *(
        Location("modules-load", d, module_entries, directory=True, suffix=(".conf",))
        for d in (
            "/etc/modules-load.d",
            "/run/modules-load.d",
            "/usr/lib/modules-load.d",
            "/lib/modules-load.d",
        )
    ),
    Location(
        "motd", "/etc/update-motd.d", script_entry("login (motd)"), directory=True, scripts=True
    ),
    Location(
        "xdg-autostart", "/etc/xdg/autostart", desktop_entries, directory=True, suffix=(".desktop",)
    ),
)

USER_LOCATIONS: tuple[Location, ...] = (
    *(
        Location("shell-rc", f"~/{name}", shell_entries("login shell"))
        for name in (
            ".bashrc",
            ".profile",
            ".bash_profile",
            ".bash_login",
            ".bash_logout",
            ".zshrc",
            ".zprofile",
            ".zshenv",
            ".zlogin",
        )
    ),
    Location("authorized_keys", "~/.ssh/authorized_keys", key_entries),
    Location("authorized_keys", "~/.ssh/authorized_keys2", key_entries),
    Location(
        "systemd", "~/.config/systemd/user", unit_entries, directory=True, suffix=UNIT_SUFFIXES
    ),
    Location(
        "xdg-autostart",
        "~/.config/autostart",
        desktop_entries,
        directory=True,
        suffix=(".desktop",),
    ),
)


class PersistenceCollector(Collector):
    name = "persistence"
    volatility = 60
    description = "cron, at, systemd, init.d/rc.local, shell rc, ld.so.preload, SSH keys, udev, ..."

    def collect(self, ctx: Context) -> None:
        accounts = host_accounts(ctx)
        walk = LocationWalk(ctx, user_names(accounts))
        for location in SYSTEM_LOCATIONS:
            with item_guard(ctx, "location", path=location.path):
                walk.location(location, location.path, None)
        for user, home in user_homes(accounts):
            for location in USER_LOCATIONS:
                path = home + location.path[1:]
                with item_guard(ctx, "location", path=path):
                    walk.location(location, path, user)
        walk.finish()


class LocationWalk:
    """One pass over the locations: remembers what was read, so a directory reached by
    two names (merged /usr) or a unit reached through a link is read once."""

    def __init__(self, ctx: Context, names: dict[int, str]) -> None:
        self.ctx = ctx
        self.names = names
        self.done: set[str] = set()
        self.absent: list[str] = []
        self.links: list[tuple[Location, str, str | None]] = []
        self.count = 0

    def finish(self) -> None:
        """Links last: a link's target is read where it lives when a walked directory holds it."""
        for location, path, user in self.links:
            with item_guard(self.ctx, "link", path=path):
                self._link(location, path, user)
        self.ctx.log(
            "persistence", entries=self.count, files=len(self.done), absent=len(self.absent)
        )

    def location(self, location: Location, path: str, user: str | None) -> None:
        try:
            real = self.ctx.host_path(path)
        except OSError as exc:
            self.ctx.log_error("resolve", exc, path=path)
            return
        try:
            os.lstat(real)
        except FileNotFoundError:
            self.absent.append(path)
            return
        except OSError as exc:
            self.ctx.log_error("stat", exc, path=path)
            return
        if str(real) in self.done:
            return
        self.done.add(str(real))
        if not location.directory:
            self._file(location, path, user)
            return
        self._directory(location, path, user, depth=0)

    def _directory(self, location: Location, path: str, user: str | None, depth: int) -> None:
        """List the directory through one descriptor and open its files by name in it: the
        path is resolved once per directory, not once per file (10,000 crontabs)."""
        try:
            real = str(self.ctx.host_path(path))
            fd = open_dir_in_root(self.ctx.root, path)
        except OSError as exc:
            self.ctx.log_error("list", exc, path=path)
            return
        try:
            with os.scandir(fd) as listing:
                entries = sorted(listing, key=lambda e: e.name)
            for entry in entries:
                child = f"{path.rstrip('/')}/{fs_text(entry.name)}"
                with item_guard(self.ctx, "list", path=child):
                    self._entry(location, entry, child, user, depth, (fd, real))
        except OSError as exc:
            self.ctx.log_error("list", exc, path=path)
        finally:
            os.close(fd)

    def _entry(
        self,
        location: Location,
        entry: os.DirEntry[str],
        child: str,
        user: str | None,
        depth: int,
        parent: tuple[int, str],
    ) -> None:
        """One name of a listed directory; `parent` is its open descriptor and real path."""
        if entry.is_symlink():
            self.links.append((location, child, user))
        elif entry.is_dir(follow_symlinks=False):
            # systemd: foo.wants/ links and foo.d/ drop-ins; cron spools hold subdirs too.
            if depth == 0 and location.mechanism == "systemd":
                self._directory(location, child, user, depth + 1)
        elif not entry.is_file(follow_symlinks=False):
            self.ctx.log("copy", "warning", "not a regular file: not read", path=child)
        elif not location.suffix or entry.name.endswith(location.suffix):
            fd, real = parent
            real = f"{real}/{entry.name}"
            if real not in self.done:
                self.done.add(real)
                self._file(location, child, user, at=(fd, entry.name))

    def _link(self, location: Location, path: str, user: str | None) -> None:
        """A symlink enables (systemd .wants), masks (-> /dev/null) or aliases something.
        Its target is parsed as well when no directory walked here holds it."""
        target = self.ctx.read_host_link(path)
        detail: dict[str, Any] = {"link": target}
        if target is not None and not target.startswith("/"):
            target = posixpath.normpath(posixpath.join(posixpath.dirname(path), target))
        parent = path.rsplit("/", 2)[-2]
        schedule = None
        if parent.endswith((".wants", ".requires")):
            schedule = "WantedBy=" + parent.rsplit(".", 1)[0]
        if target == "/dev/null":
            detail["masked"] = True
        owner = user or self._link_owner(path)
        self._emit(location.mechanism, path, Entry(None, target, schedule, owner, detail), None)
        try:
            real = self.ctx.host_path(path)
        except OSError:
            return
        if str(real) not in self.done and real.is_file():
            self.done.add(str(real))
            self._file(location, path, user)

    def _link_owner(self, path: str) -> str | None:
        try:
            uid = os.lstat(resolve_in_root(self.ctx.root, path, follow_last=False)).st_uid
        except OSError:
            return None
        return self.names.get(uid, str(uid))

    def _file(
        self, location: Location, path: str, user: str | None, at: tuple[int, str] | None = None
    ) -> None:
        """Copy and parse one file; `at`: the descriptor of its listed directory and its name."""
        copied = (
            self.ctx.copy_host_file(path) if at is None else self.ctx.copy_file_in_dir(*at, path)
        )
        if copied is None:
            return
        if looks_binary(copied.data) and not location.scripts:
            self.ctx.log("parse", "warning", "binary content in a text file", path=path)
        with item_guard(self.ctx, "parse", path=path):
            self._entries(location, path, user, copied)

    def _entries(self, location: Location, path: str, user: str | None, copied: CopiedFile) -> None:
        """Entries are emitted as they are parsed: an error at line N keeps lines before it."""
        problems = 0
        for item in location.extract(copied.data, path):
            if isinstance(item, LineProblem):
                problems += 1
                if problems <= MAX_PROBLEMS_LOGGED:
                    self.ctx.log("parse", "warning", item.problem, path=path, line=item.line)
                continue
            if item.owner is None:
                item.owner = user or self.names.get(copied.record.uid, str(copied.record.uid))
            self._emit(location.mechanism, path, item, copied)
        if problems > MAX_PROBLEMS_LOGGED:
            self.ctx.log("parse", "warning", f"{problems} unparsable lines in all", path=path)

    def _emit(self, mechanism: str, path: str, entry: Entry, copied: CopiedFile | None) -> None:
        record = PersistenceRecord(
            mechanism=mechanism,
            source=path,
            line=entry.line,
            owner=entry.owner,
            schedule=entry.schedule,
            command=entry.command,
            detail=entry.detail,
        )
        if copied is not None:
            record.mtime = copied.record.mtime
            record.ctime = copied.record.ctime
            record.sha256 = copied.record.sha256
            record.member = copied.record.member
        self.ctx.emit(record)
        self.count += 1
