"""The manifest's signature: made at sealing, checked by verify.

The signature covers manifest.json's exact bytes, and the manifest covers every member by
sha256, so one signature over a few kilobytes binds the whole bundle. It travels inside the
bundle as `manifest.json.sig` (an SSH signature, namespace `irkit-manifest`), written after
the manifest, so it survives encryption, `-o -` and copies that leave the sidecars behind.
"""

from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # cryptography (6 MiB resident) is imported when a signature is made or read
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

NAMESPACE = "irkit-manifest"
SIGNATURE_MAX_BYTES = 16 << 10
"""An Ed25519 SSH signature is under 300 bytes armored; more is not a signature irkit made."""


class SignatureState(StrEnum):
    VALID = "valid"
    """Valid, by a trusted key."""
    INVALID = "invalid"
    """Damaged, or not over this manifest: the bundle is NOT INTACT."""
    UNSIGNED = "unsigned"
    UNTRUSTED = "untrusted"
    """Valid, by a key that is not among the trusted ones (or none were given)."""


@dataclass
class SignatureCheck:
    state: SignatureState
    fingerprint: str | None = None
    """The signer's key, `SHA256:...` as `ssh-keygen -l` prints it."""
    detail: str | None = None

    def describe(self) -> str:
        if self.state is SignatureState.UNSIGNED:
            return "unsigned"
        if self.state is SignatureState.INVALID:
            return f"signature INVALID: {self.detail}"
        if self.state is SignatureState.VALID:
            return f"signed by trusted key {self.fingerprint}"
        return f"signed by {self.fingerprint}, a key that is not trusted ({self.detail})"


def sign_manifest(key: "Ed25519PrivateKey", manifest: bytes) -> bytes:
    from irkit.custody import sshsig

    return sshsig.sign(key, manifest, NAMESPACE).encode()


def check_signature(
    signature: bytes | None, manifest: bytes, trusted: set[bytes] | None
) -> SignatureCheck:
    """`trusted` None: no --trust was given (a valid signature is then UNTRUSTED, saying so)."""
    if signature is None:
        return SignatureCheck(SignatureState.UNSIGNED)
    from irkit.custody import sshsig

    try:
        verified = sshsig.verify(signature, manifest, NAMESPACE)
    except sshsig.SignatureFormatError as exc:
        return SignatureCheck(SignatureState.INVALID, detail=str(exc))
    except sshsig.InvalidSignature:
        return SignatureCheck(
            SignatureState.INVALID, detail="it does not match manifest.json (altered after signing)"
        )
    if trusted is None:
        return SignatureCheck(SignatureState.UNTRUSTED, verified.fingerprint, "no --trust given")
    if verified.key_blob in trusted:
        return SignatureCheck(SignatureState.VALID, verified.fingerprint)
    return SignatureCheck(SignatureState.UNTRUSTED, verified.fingerprint, "not in --trust")
