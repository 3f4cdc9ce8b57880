"""The SSH signature format (OpenSSH's PROTOCOL.sshsig) for Ed25519 keys.

irkit signs the manifest in this format so that a responder can check a bundle with the
`ssh-keygen -Y verify` every analyst machine has, without irkit. No maintained Python library
writes it (`sshsig` on PyPI only verifies); the format is a handful of length-prefixed fields
around an Ed25519 signature, which `cryptography` makes and checks.
"""

import base64
import hashlib
import struct
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

MAGIC = b"SSHSIG"
VERSION = 1
KEY_TYPE = b"ssh-ed25519"
BEGIN = "-----BEGIN SSH SIGNATURE-----"
END = "-----END SSH SIGNATURE-----"
HASHES = {b"sha512": hashlib.sha512, b"sha256": hashlib.sha256}
ARMOR_WIDTH = 70


class SignatureFormatError(ValueError):
    """The bytes are not an SSH signature irkit can check; the message says why."""


def _string(data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + data


class _Fields:
    """Reads length-prefixed fields from a blob that may be hostile: every length is checked."""

    def __init__(self, blob: bytes, what: str) -> None:
        self._blob, self._at, self._what = blob, 0, what

    def raw(self, size: int) -> bytes:
        if self._at + size > len(self._blob):
            raise SignatureFormatError(f"{self._what} is truncated")
        data = self._blob[self._at : self._at + size]
        self._at += size
        return data

    def uint32(self) -> int:
        value: int = struct.unpack(">I", self.raw(4))[0]
        return value

    def string(self) -> bytes:
        return self.raw(self.uint32())

    def end(self) -> None:
        if self._at != len(self._blob):
            raise SignatureFormatError(f"{self._what} has trailing bytes")


def public_key_blob(key: Ed25519PublicKey) -> bytes:
    """The key as SSH writes it: what `ssh-ed25519 AAAA...` encodes and fingerprints hash."""
    return _string(KEY_TYPE) + _string(key.public_bytes(Encoding.Raw, PublicFormat.Raw))


def fingerprint(blob: bytes) -> str:
    """`SHA256:...` as `ssh-keygen -l` prints it."""
    digest = base64.b64encode(hashlib.sha256(blob).digest()).decode().rstrip("=")
    return f"SHA256:{digest}"


def _signed_data(
    namespace: bytes, hash_name: bytes, message: bytes, reserved: bytes = b""
) -> bytes:
    digest = HASHES[hash_name](message).digest()
    return MAGIC + _string(namespace) + _string(reserved) + _string(hash_name) + _string(digest)


def sign(key: Ed25519PrivateKey, message: bytes, namespace: str) -> str:
    """The armored signature `ssh-keygen -Y sign -n NAMESPACE` would write for `message`."""
    ns = namespace.encode()
    signature = key.sign(_signed_data(ns, b"sha512", message))
    blob = (
        MAGIC
        + struct.pack(">I", VERSION)
        + _string(public_key_blob(key.public_key()))
        + _string(ns)
        + _string(b"")
        + _string(b"sha512")
        + _string(_string(KEY_TYPE) + _string(signature))
    )
    text = base64.b64encode(blob).decode()
    lines = [text[i : i + ARMOR_WIDTH] for i in range(0, len(text), ARMOR_WIDTH)]
    return "\n".join([BEGIN, *lines, END]) + "\n"


@dataclass(frozen=True)
class Verified:
    key_blob: bytes
    """The signer's public key (SSH wire form): compare it with the trusted keys."""

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.key_blob)


def _unarmor(armored: bytes) -> bytes:
    try:
        text = armored.decode("ascii")
    except UnicodeDecodeError as exc:
        raise SignatureFormatError("the signature is not ASCII") from exc
    lines = [line.strip() for line in text.strip().splitlines()]
    if len(lines) < 3 or lines[0] != BEGIN or lines[-1] != END:
        raise SignatureFormatError("not an armored SSH signature")
    try:
        return base64.b64decode("".join(lines[1:-1]), validate=True)
    except ValueError as exc:
        raise SignatureFormatError("the signature's base64 is damaged") from exc


def verify(armored: bytes, message: bytes, namespace: str) -> Verified:
    """Check `armored` over `message`; SignatureFormatError when it is malformed or of another
    kind, InvalidSignature when it does not match the message."""
    fields = _Fields(_unarmor(armored), "the signature")
    if fields.raw(len(MAGIC)) != MAGIC or fields.uint32() != VERSION:
        raise SignatureFormatError("not an SSH signature of version 1")
    key_blob = fields.string()
    signed_namespace = fields.string()
    reserved = fields.string()
    hash_name = fields.string()
    signature_blob = fields.string()
    fields.end()
    if signed_namespace != namespace.encode():
        raise SignatureFormatError(
            f"signed for namespace {signed_namespace.decode(errors='replace')!r:.60},"
            f" not {namespace!r}"
        )
    if hash_name not in HASHES:
        raise SignatureFormatError(f"unknown hash {hash_name.decode(errors='replace')!r:.20}")
    key_fields = _Fields(key_blob, "the public key")
    if key_fields.string() != KEY_TYPE:
        raise SignatureFormatError("not an Ed25519 key (irkit signs with ssh-ed25519 only)")
    raw_key = key_fields.string()
    key_fields.end()
    sig_fields = _Fields(signature_blob, "the signature blob")
    if sig_fields.string() != KEY_TYPE:
        raise SignatureFormatError("not an Ed25519 signature")
    raw_signature = sig_fields.string()
    sig_fields.end()
    try:
        public = Ed25519PublicKey.from_public_bytes(raw_key)
    except ValueError as exc:
        raise SignatureFormatError("the public key is malformed") from exc
    public.verify(raw_signature, _signed_data(signed_namespace, hash_name, message, reserved))
    return Verified(key_blob)


__all__ = ["InvalidSignature", "SignatureFormatError", "Verified", "fingerprint", "sign", "verify"]
