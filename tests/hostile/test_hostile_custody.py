"""Hostile custody input: a signature, trusted-keys file, recipient or identity file crafted
to crash irkit only ever gives a named verdict or a named error (fuzzed, as every parser of
hostile bytes is)."""

import base64
import os
import tempfile
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given
from hypothesis import strategies as st

from irkit.custody import CustodyError
from irkit.custody.encryption import load_identities, load_recipients
from irkit.custody.keys import load_trusted
from irkit.custody.signing import SignatureState, check_signature, sign_manifest
from tests.hostile.fuzzing import fuzz_settings

KEY = Ed25519PrivateKey.generate()
MANIFEST = b'{"format": "irkit-bundle"}\n'
SIGNATURE = sign_manifest(KEY, MANIFEST)
BLOB = base64.b64decode(b"".join(SIGNATURE.splitlines()[1:-1]))


def _armor(blob: bytes) -> bytes:
    text = base64.b64encode(blob)
    lines = [text[i : i + 70] for i in range(0, len(text), 70)]
    return b"\n".join([b"-----BEGIN SSH SIGNATURE-----", *lines, b"-----END SSH SIGNATURE-----"])


@fuzz_settings()
@given(st.binary(max_size=600))
def test_arbitrary_signature_bytes_are_invalid_never_a_crash(data: bytes) -> None:
    assert check_signature(data, MANIFEST, None).state is SignatureState.INVALID


@fuzz_settings()
@given(st.data())
def test_a_mutated_signature_blob_is_invalid_never_a_crash(data: st.DataObject) -> None:
    """Every field of the SSHSIG blob is length-prefixed: lengths that lie, truncation and
    flipped bytes inside a well-formed armor."""
    blob = bytearray(BLOB)
    for _ in range(data.draw(st.integers(1, 4))):
        index = data.draw(st.integers(0, len(blob) - 1))
        blob[index] = data.draw(st.integers(0, 255))
    cut = data.draw(st.integers(0, len(blob)))
    mutated = bytes(blob[:cut]) if data.draw(st.booleans()) else bytes(blob)
    if mutated == BLOB:
        return
    check = check_signature(_armor(mutated), MANIFEST, None)
    assert check.state is SignatureState.INVALID, check


@fuzz_settings()
@given(st.binary(max_size=400))
def test_key_and_recipient_files_only_raise_named_errors(data: bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "input"
        path.write_bytes(data)
        for load in (
            lambda: load_trusted([str(path)]),
            lambda: load_recipients([str(path)]),
            lambda: load_identities(path),
        ):
            try:
                load()
            except CustodyError as exc:
                assert str(path) in str(exc) or "--trust" in str(exc)


def test_a_fifo_as_trusted_keys_is_refused_not_read(tmp_path: Path) -> None:
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    for load in (lambda: load_trusted([str(fifo)]), lambda: load_identities(fifo)):
        try:
            load()
        except CustodyError as exc:
            assert "fifo" in str(exc)
        else:
            raise AssertionError("a FIFO was read as a key file")
