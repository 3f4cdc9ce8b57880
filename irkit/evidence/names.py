"""Member-name rules: a bundle must never be able to write outside a folder it is extracted to."""

import re

_DRIVE = re.compile(r"^[A-Za-z]:")
_ESCAPE = frozenset(b"%\\") | frozenset(range(0x20)) | {0x7F}


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


def safe_member_name(name: str) -> str:
    """A member name for any host path: reversible %XX escapes for bytes that are not
    printable UTF-8 (and for '%' and '\\'), no leading '/', no '..' component."""
    escaped = "".join(
        f"%{ord(ch) - 0xDC00:02X}"
        if 0xDC80 <= ord(ch) <= 0xDCFF
        else (f"%{ord(ch):02X}" if ord(ch) < 0x80 and ord(ch) in _ESCAPE else ch)
        for ch in name
    )
    parts = [p if p != ".." else "%2E%2E" for p in escaped.split("/") if p not in ("", ".")]
    joined = "/".join(parts) or "_"
    return "_" + joined if _DRIVE.match(joined) else joined
