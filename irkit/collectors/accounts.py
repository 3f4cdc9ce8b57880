"""Who can log in and who did: accounts, groups, sudo rights, wtmp/btmp, shell histories.

/etc/shadow is never read: its hashes are credentials, not evidence a responder
should carry around. `last`/`lastb` are the host's programs, so wtmp/btmp are parsed here.
"""

from dataclasses import dataclass, field
from typing import ClassVar

from irkit.collectors.base import Collector, Context
from irkit.collectors.failsoft import item_guard
from irkit.collectors.host import SessionRecord, session_fields, utmp_entries
from irkit.collectors.users import host_accounts, user_homes
from irkit.evidence.records import Record
from irkit.parsers.lines import LineProblem
from irkit.parsers.passwd import parse_group
from irkit.parsers.sudoers import parse_sudoers

LOGIN_LOGS = (
    ("/var/log/wtmp", False),
    ("/var/log/wtmp.1", False),
    ("/var/log/btmp", True),
    ("/var/log/btmp.1", True),
)
HISTORY_FILES = (
    ".bash_history",
    ".zsh_history",
    ".sh_history",
    ".ash_history",
    ".history",
    ".python_history",
    ".mysql_history",
    ".psql_history",
    ".local/share/fish/fish_history",
)
PLACEHOLDER_SHELLS = ("/usr/sbin/nologin", "/sbin/nologin", "/bin/false", "/usr/bin/false")


@dataclass
class AccountRecord(Record):
    kind: ClassVar[str] = "account"
    name: str
    uid: int
    gid: int
    gecos: str
    home: str
    shell: str
    source: str
    line: int
    flags: list[str] = field(default_factory=list)


@dataclass
class GroupRecord(Record):
    kind: ClassVar[str] = "group"
    name: str
    gid: int
    members: list[str]
    source: str
    line: int


@dataclass
class SudoRuleRecord(Record):
    kind: ClassVar[str] = "sudo_rule"
    source: str
    line: int
    rule: str
    include: str | None
    flags: list[str] = field(default_factory=list)


@dataclass
class LoginRecord(SessionRecord):
    """A wtmp (login history) or btmp (failed login) entry: a SessionRecord from a log."""

    kind: ClassVar[str] = "login"
    failed: bool = False


class AccountsCollector(Collector):
    name = "accounts"
    volatility = 70
    description = "passwd/group (no shadow), sudoers, wtmp/btmp logins, shell histories"

    def collect(self, ctx: Context) -> None:
        accounts = host_accounts(ctx, log_problems=True)
        for account in accounts:
            flags = []
            if account.uid == 0 and account.name != "root":
                flags.append("uid-0-not-root")
            if account.shell not in PLACEHOLDER_SHELLS:
                flags.append("login-shell")
            ctx.emit(
                AccountRecord(
                    name=account.name,
                    uid=account.uid,
                    gid=account.gid,
                    gecos=account.gecos,
                    home=account.home,
                    shell=account.shell,
                    source="/etc/passwd",
                    line=account.line,
                    flags=flags,
                )
            )
        self._groups(ctx)
        self._sudoers(ctx)
        for path, failed in LOGIN_LOGS:
            with item_guard(ctx, "logins", path=path):
                self._logins(ctx, path, failed)
        self._histories(ctx, user_homes(accounts))

    @staticmethod
    def _groups(ctx: Context) -> None:
        copied = ctx.copy_host_file("/etc/group")
        if copied is None:
            return
        for item in parse_group(copied.data):
            if isinstance(item, LineProblem):
                ctx.log("parse", "warning", item.problem, path="/etc/group", line=item.line)
            else:
                ctx.emit(GroupRecord(item.name, item.gid, item.members, "/etc/group", item.line))

    def _sudoers(self, ctx: Context) -> None:
        paths = ["/etc/sudoers"]
        try:
            directory = ctx.host_path("/etc/sudoers.d")
            paths += sorted(f"/etc/sudoers.d/{p.name}" for p in directory.iterdir() if p.is_file())
        except OSError as exc:
            ctx.log_error("list", exc, path="/etc/sudoers.d")
        for path in paths:
            with item_guard(ctx, "parse", path=path):
                self._sudoers_file(ctx, path)

    @staticmethod
    def _sudoers_file(ctx: Context, path: str) -> None:
        copied = ctx.copy_host_file(path)
        if copied is None:
            return
        for item in parse_sudoers(copied.data):
            flags = ["nopasswd"] if item.nopasswd else []
            ctx.emit(SudoRuleRecord(path, item.line, item.text, item.include, flags))

    @staticmethod
    def _logins(ctx: Context, path: str, failed: bool) -> None:
        try:
            present = ctx.host_path(path).exists()
        except OSError as exc:
            ctx.log_error("stat", exc, path=path)
            return
        if not present:
            ctx.log("copy", "skipped", "not present", path=path)
            return
        copied = ctx.copy_host_file(path, keep=256 << 20)
        if copied is None:
            return
        for entry in utmp_entries(ctx, path, copied.data):
            ctx.emit(LoginRecord(**session_fields(path, entry), failed=failed))

    @staticmethod
    def _histories(ctx: Context, homes: list[tuple[str, str]]) -> None:
        copied = 0
        for _user, home in homes:
            for name in HISTORY_FILES:
                path = f"{home}/{name}"
                with item_guard(ctx, "history", path=path):
                    copied += AccountsCollector._history(ctx, path)
        ctx.log("shell-histories", copied=copied, homes=len(homes))

    @staticmethod
    def _history(ctx: Context, path: str) -> int:
        """1 when the file was copied, else 0."""
        try:
            if not ctx.host_path(path).is_file():
                return 0
        except OSError as exc:
            ctx.log_error("stat", exc, path=path)
            return 0
        return int(ctx.copy_host_file(path, keep=0) is not None)
