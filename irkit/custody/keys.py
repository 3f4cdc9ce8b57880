"""Signing keys: made by `irkit keys new`, read for `--sign`, and trusted for `verify --trust`.

Keys are OpenSSH Ed25519 files, so the same pair works with `ssh-keygen -Y sign/verify`, and a
trusted-keys file may be an `allowed_signers` file: every `ssh-ed25519 BASE64` on a line counts.
"""

import base64
import binascii
import itertools
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
    load_ssh_private_key,
)

from irkit.custody import CustodyError
from irkit.custody.sshsig import KEY_TYPE, fingerprint, public_key_blob
from irkit.memory.inputs import InputError, read_input
from irkit.outfile import open_output_file

KEY_FILE_MAX_BYTES = 64 << 10
"""A key file is a few hundred bytes; a trusted-keys file of a thousand keys under 100 KiB."""
TRUST_FILE_MAX_BYTES = 1 << 20


def public_line(key: Ed25519PrivateKey, comment: str = "") -> str:
    line = key.public_key().public_bytes(Encoding.OpenSSH, PublicFormat.OpenSSH).decode()
    return f"{line} {comment}".rstrip()


def new_key_pair(path: Path, *, force: bool, comment: str = "irkit") -> tuple[str, str]:
    """Write PATH (the private key) and PATH.pub, both 0600, created exclusively; return the
    public line and the key's fingerprint."""
    key = Ed25519PrivateKey.generate()
    private = key.private_bytes(Encoding.PEM, PrivateFormat.OpenSSH, NoEncryption())
    line = public_line(key, comment)
    with open_output_file(path, "wb", force=force) as handle:
        handle.write(private)
    with open_output_file(path.with_name(path.name + ".pub"), "w", force=force) as handle:
        handle.write(line + "\n")
    return line, key_fingerprint(key)


def load_signing_key(path: Path) -> Ed25519PrivateKey:
    """The Ed25519 private key in an OpenSSH key file (unencrypted: a collection is unattended)."""
    try:
        data = read_input(path, KEY_FILE_MAX_BYTES)
    except InputError as exc:
        raise CustodyError(f"signing key {exc}") from exc
    try:
        key = load_ssh_private_key(data, password=None)
    except (ValueError, TypeError) as exc:
        raise CustodyError(
            f"signing key {path}: not an unencrypted OpenSSH private key ({exc})"
        ) from exc
    if not isinstance(key, Ed25519PrivateKey):
        raise CustodyError(f"signing key {path}: not an Ed25519 key (make one: irkit keys new)")
    return key


def exposure_warning(path: Path) -> str | None:
    """A private key others may read is one others may have copied (ssh refuses such keys;
    irkit signs, and says so)."""
    try:
        mode = path.stat().st_mode & 0o777
    except OSError:
        return None
    if mode & 0o077:
        return f"the signing key {path} is readable by group or others (mode {mode:o}); chmod 600"
    return None


def _blobs_in(text: str, where: str) -> list[bytes]:
    """Every `ssh-ed25519 BASE64` in `text` (a .pub line, authorized_keys or allowed_signers)."""
    found = []
    words = text.split()
    for kind, data in itertools.pairwise(words):
        if kind != KEY_TYPE.decode():
            continue
        try:
            blob = base64.b64decode(data, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise CustodyError(f"{where}: a damaged ssh-ed25519 key") from exc
        found.append(blob)
    return found


def load_trusted(values: list[str]) -> set[bytes]:
    """The trusted keys (SSH wire form) from `--trust` values: each is a public key line
    itself, or a file holding one or more (a .pub file, an allowed_signers file)."""
    trusted: set[bytes] = set()
    for value in values:
        if value.startswith(KEY_TYPE.decode() + " "):
            blobs = _blobs_in(value, "--trust")
        else:
            try:
                text = read_input(Path(value), TRUST_FILE_MAX_BYTES).decode(errors="replace")
            except InputError as exc:
                raise CustodyError(f"trusted keys {exc}") from exc
            blobs = _blobs_in(text, value)
        if not blobs:
            raise CustodyError(f"{value}: no ssh-ed25519 public key in it")
        trusted.update(blobs)
    return trusted


def key_fingerprint(key: Ed25519PrivateKey) -> str:
    return fingerprint(public_key_blob(key.public_key()))
