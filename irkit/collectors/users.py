"""The host's accounts from <root>/etc/passwd: uid -> name, and home directories.

Names come from the collected root, never from the analyst's machine (no `pwd` module).
"""

from irkit.collectors.base import Context
from irkit.parsers.passwd import LineProblem, PasswdEntry, parse_passwd


def host_accounts(ctx: Context, *, log_problems: bool = False) -> list[PasswdEntry]:
    copied = ctx.copy_host_file("/etc/passwd")
    if copied is None:
        return []
    accounts: list[PasswdEntry] = []
    for item in parse_passwd(copied.data):
        if isinstance(item, LineProblem):
            if log_problems:
                ctx.log("parse", "warning", item.problem, path="/etc/passwd", line=item.line)
        else:
            accounts.append(item)
    return accounts


def user_names(accounts: list[PasswdEntry]) -> dict[int, str]:
    names: dict[int, str] = {}
    for account in accounts:
        names.setdefault(account.uid, account.name)
    return names


def user_homes(accounts: list[PasswdEntry]) -> list[tuple[str, str]]:
    """(user, home) once per distinct home; placeholder homes like / or /nonexistent are kept
    out, because they are shared by many service accounts and hold no user's files."""
    seen: set[str] = set()
    homes: list[tuple[str, str]] = []
    for account in accounts:
        home = account.home.rstrip("/")
        if not home or home in seen or home in ("/nonexistent", "/dev/null", "/bin", "/usr/sbin"):
            continue
        seen.add(home)
        homes.append((account.name, home))
    return homes
