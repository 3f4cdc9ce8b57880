"""Member-name rules: a bundle must never be able to write outside a folder it is extracted to."""

import re

_DRIVE = re.compile(r"^[A-Za-z]:")


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
