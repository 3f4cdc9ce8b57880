"""The text of /proc/PID/fd and /proc/PID/ns links: `socket:[123]`, `net:[4026531840]`.

A --proc tree (or a hostile kernel module) makes these links say anything, at any length;
only a bounded decimal between the brackets is an inode.
"""

from irkit.parsers.lines import decimal


def link_inode(link: str | None, prefix: str = "") -> int | None:
    """The inode of a `<prefix>[<digits>]` link (any type name when `prefix` is empty)."""
    if not link or not link.endswith("]") or "[" not in link:
        return None
    kind, _, number = link[:-1].partition("[")
    if prefix and kind != prefix:
        return None
    return decimal(number)
