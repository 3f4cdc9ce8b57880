"""Member-name rules: a bundle must never be able to write outside a folder it is extracted to."""

import re

from irkit.console import INVISIBLE

_DRIVE = re.compile(r"^[A-Za-z]:")
_ESCAPE = re.compile(f"[\x00-\x1f\x7f%\\\\\x80-\x9f{INVISIBLE}\udc80-\udcff]")
"""Control, C1, bidi and zero-width characters, '%', '\\' and undecodable bytes."""


def unsafe_member_reason(name: str) -> str | None:
    if not name:
        return "empty member name"
    if name.startswith(("/", "\\")) or _DRIVE.match(name):
        return "absolute member name"
    if "\\" in name:
        return "backslash in member name"
    if "\x00" in name:
        return "NUL byte in member name"
    if any(part == ".." for part in name.split("/")):
        return "member name climbs out with '..'"
    return None


def _percent(match: re.Match[str]) -> str:
    """The %XX escape of each byte the character stands for on the host."""
    return "".join(f"%{byte:02X}" for byte in match.group().encode("utf-8", "surrogateescape"))


def safe_member_name(name: str) -> str:
    """A member name for any host path: reversible %XX escapes (of the host's bytes) for bytes
    that are not UTF-8, control, C1, bidi and zero-width characters (which would reorder or
    hide the name in `unzip -l`), '%' and '\\'; no leading '/', no '..' component."""
    escaped = _ESCAPE.sub(_percent, name)
    parts = [p if p != ".." else "%2E%2E" for p in escaped.split("/") if p not in ("", ".")]
    joined = "/".join(parts) or "_"
    return "_" + joined if _DRIVE.match(joined) else joined
