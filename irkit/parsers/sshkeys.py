"""authorized_keys lines (sshd(8) AUTHORIZED_KEYS FILE FORMAT): options, key, comment.

A `command="..."` option runs that command on every login with the key, and a
key added by an intruder is how they come back; both are persistence.
"""

import base64
import binascii
import hashlib
from collections.abc import Iterator
from dataclasses import dataclass

from irkit.parsers.lines import LineProblem, content_lines

KEY_TYPES = (
    "ssh-rsa",
    "ssh-dss",
    "ssh-ed25519",
    "ecdsa-sha2-nistp256",
    "ecdsa-sha2-nistp384",
    "ecdsa-sha2-nistp521",
    "sk-ssh-ed25519@openssh.com",
    "sk-ecdsa-sha2-nistp256@openssh.com",
    "ssh-rsa-cert-v01@openssh.com",
    "ssh-ed25519-cert-v01@openssh.com",
)


@dataclass
class AuthorizedKey:
    line: int
    options: list[str]
    key_type: str
    fingerprint: str
    comment: str
    command: str | None


def split_options(text: str) -> tuple[list[str], str]:
    """Options up to the first unquoted space, and what follows."""
    options: list[str] = []
    current: list[str] = []
    quoted = False
    for index, char in enumerate(text):
        if char == '"':
            quoted = not quoted
        if not quoted and char == ",":
            options.append("".join(current))
            current = []
            continue
        if not quoted and char in " \t":
            options.append("".join(current))
            return options, text[index:].strip()
        current.append(char)
    return [*options, "".join(current)], ""


def fingerprint(blob_b64: str) -> str:
    """SHA256:... as `ssh-keygen -l` prints it."""
    raw = base64.b64decode(blob_b64, validate=True)
    return "SHA256:" + base64.b64encode(hashlib.sha256(raw).digest()).decode().rstrip("=")


def parse_authorized_keys(data: bytes) -> Iterator[AuthorizedKey | LineProblem]:
    for number, text in content_lines(data):
        options: list[str] = []
        rest = text
        if text.split(None, 1)[0] not in KEY_TYPES:
            options, rest = split_options(text)
        fields = rest.split(None, 2)
        if len(fields) < 2 or fields[0] not in KEY_TYPES:
            yield LineProblem(number, "not an authorized_keys line (no known key type)")
            continue
        try:
            print_ = fingerprint(fields[1])
        except (binascii.Error, ValueError):
            yield LineProblem(number, "key is not valid base64")
            continue
        command = next(
            (o.split("=", 1)[1].strip('"') for o in options if o.lower().startswith("command=")),
            None,
        )
        yield AuthorizedKey(
            number, options, fields[0], print_, fields[2] if len(fields) > 2 else "", command
        )
