"""Encryption of a bundle to age recipients, while it is written; decryption without a
clear copy on disk.

pyrage wraps rage, the reference Rust implementation of age, so what irkit writes is what
the `age` tool reads and the reverse. It encrypts from a reader to a writer; the bundle
writer pushes bytes, so the zip goes into a pipe and a thread runs the encryption from it
into the output. Only ciphertext ever reaches the output (a file or `-o -`), and the
bundle's sha256 is that of the ciphertext.

Reading one back needs random access (a zip's directory is at its end): the clear bundle is
decrypted into an anonymous memory file (memfd_create), which has no name on any
filesystem and is gone when irkit exits.
"""

import hashlib
import os
import signal
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyrage
from pyrage import ssh, x25519

from irkit.custody import CustodyError
from irkit.evidence.reader import check_regular_file
from irkit.evidence.sink import HashingSink, OutputLost
from irkit.interrupts import HANDLED_SIGNALS
from irkit.memory.inputs import InputError, read_input

AGE_MAGIC = (b"age-encryption.org/v1\n", b"-----BEGIN AGE ENCRYPTED FILE-----")
KEY_FILE_MAX_BYTES = 1 << 20
PIPE_CHUNK = 1 << 20
SSH_RECIPIENT_TYPES = ("ssh-ed25519 ", "ssh-rsa ")


@dataclass(frozen=True)
class Recipient:
    text: str
    """As given (an age1... key or an SSH public key line): written in the manifest."""
    key: Any


def _recipient(text: str, where: str) -> Recipient:
    """Errors name where the recipient came from, never its text: a file given by mistake
    may hold a secret key, which must not reach a terminal or a log."""
    try:
        if text.startswith("age1"):
            return Recipient(text, x25519.Recipient.from_str(text))
        if text.startswith(SSH_RECIPIENT_TYPES):
            return Recipient(text, ssh.Recipient.from_str(text))
    except pyrage.RecipientError as exc:
        raise CustodyError(f"{where}: not a valid recipient ({exc})") from exc
    raise CustodyError(f"{where}: not an age (age1...) or SSH (ssh-ed25519 ...) public key")


def load_recipients(values: Sequence[str]) -> list[Recipient]:
    """`--encrypt-to` values: a recipient itself, or a file of them, one a line (`#` comments),
    as `age -R` reads."""
    found: list[Recipient] = []
    for value in values:
        value = value.strip()
        if value.startswith(("age1", *SSH_RECIPIENT_TYPES)):
            found.append(_recipient(value, "--encrypt-to"))
            continue
        try:
            text = read_input(Path(value), KEY_FILE_MAX_BYTES).decode(errors="replace")
        except InputError as exc:
            raise CustodyError(f"recipients {exc}") from exc
        listed = [
            _recipient(line.strip(), f"{value} line {number}")
            for number, line in enumerate(text.splitlines(), 1)
            if line.strip() and not line.strip().startswith("#")
        ]
        if not listed:
            raise CustodyError(f"{value}: no recipient in it")
        found += listed
    return found


def load_identities(path: Path) -> list[Any]:
    """The identities in an age identity file (AGE-SECRET-KEY-1... lines) or an OpenSSH
    private key; CustodyError naming the file when it holds none."""
    try:
        data = read_input(path, KEY_FILE_MAX_BYTES)
    except InputError as exc:
        raise CustodyError(f"identity {exc}") from exc
    try:
        if b"-----BEGIN OPENSSH PRIVATE KEY-----" in data:
            return [ssh.Identity.from_buffer(data)]
        lines = data.decode(errors="replace").splitlines()
        keys = [line.strip() for line in lines if line.strip().startswith("AGE-SECRET-KEY-1")]
        identities = [x25519.Identity.from_str(key) for key in keys]
    except pyrage.IdentityError as exc:
        raise CustodyError(f"identity {path}: unreadable ({exc})") from exc
    if not identities:
        raise CustodyError(f"identity {path}: no age identity (AGE-SECRET-KEY-1...) in it")
    return identities


def is_encrypted(path: Path) -> bool:
    """True when the file starts as age output does (binary or armored)."""
    try:
        with path.open("rb") as handle:
            head = handle.read(64)
    except OSError:
        return False
    return head.startswith(AGE_MAGIC)


class EncryptingSink:
    """The writer's sink for an encrypted bundle: clear bytes in, age ciphertext out through
    `inner` (which hashes the ciphertext and owns the output's failure modes)."""

    def __init__(self, inner: HashingSink, recipients: Sequence[Recipient]) -> None:
        self._inner = inner
        read_end, write_end = os.pipe()
        self._pipe = open(write_end, "wb", buffering=0)  # noqa: SIM115
        self._source = open(read_end, "rb", buffering=0)  # noqa: SIM115
        self._buffer = bytearray()
        self._pos = 0
        self._error: BaseException | None = None
        self._stopped = False
        """The encryption ended early: nothing more can reach the output."""
        self._thread = threading.Thread(
            target=self._encrypt, args=([r.key for r in recipients],), daemon=True, name="age"
        )
        self._thread.start()

    def _encrypt(self, keys: list[Any]) -> None:
        # SIGINT/SIGTERM go to the main thread, whose InterruptGuard decides when they act.
        signal.pthread_sigmask(signal.SIG_BLOCK, HANDLED_SIGNALS)
        try:
            with self._source:
                pyrage.encrypt_io(self._source, self._inner, keys)
        except BaseException as exc:  # handed to the writer's thread, which raises it
            self._error = exc

    @property
    def full(self) -> OSError | None:
        return self._inner.full

    def write(self, data: bytes) -> int:
        if self._stopped:
            return len(data)  # as HashingSink: once lost, zipfile's closing writes go nowhere
        self._buffer += data
        self._pos += len(data)
        if len(self._buffer) >= PIPE_CHUNK:
            self.flush()
        return len(data)

    def flush(self) -> None:
        if self._stopped:
            return
        view = memoryview(self._buffer)
        done = 0
        try:
            while done < len(view):
                try:
                    done += self._pipe.write(view[done:]) or 0
                except BrokenPipeError:
                    self._stopped = True
                    self._thread.join()
                    self.check()
                    raise
        finally:
            view.release()
            del self._buffer[:done]

    def tell(self) -> int:
        return self._pos

    def seek(self, *args: Any) -> int:
        return self._inner.seek(*args)

    def check(self) -> None:
        """Raise what stopped the encryption: the output's own failure, or the encryption's."""
        self._inner.check()
        if self._error is not None:
            error = OSError(f"age encryption failed: {self._error}")
            raise OutputLost(self._inner.where, error, self._inner.lost) from self._error

    def close(self) -> None:
        """zipfile never closes a file it was given; the seal ends the stream (finish)."""
        self.flush()

    def finish(self) -> None:
        """End the age stream (its last chunk) and flush the ciphertext to the output."""
        self.flush()
        self._pipe.close()
        self._thread.join()
        self.check()
        self._inner.finish()

    def release_reserve(self) -> None:
        self._inner.release_reserve()

    def hexdigest(self) -> str:
        return self._inner.hexdigest()


class _HashingReader:
    """The ciphertext as it is read: its sha256 is the bundle's."""

    def __init__(self, path: Path) -> None:
        self._handle = path.open("rb")
        self.sha = hashlib.sha256()

    def read(self, size: int = -1) -> bytes:
        data = self._handle.read(size)
        self.sha.update(data)
        return data

    def close(self) -> None:
        self._handle.close()


@dataclass
class ClearCopy:
    """A decrypted bundle in an anonymous memory file: `path` reads it while it is open."""

    fd: int
    ciphertext_sha256: str

    @property
    def path(self) -> Path:
        return Path(f"/proc/self/fd/{self.fd}")

    def close(self) -> None:
        os.close(self.fd)


def decrypt_to_memory(path: Path, identities: Sequence[Any]) -> ClearCopy:
    """Decrypt `path` into a memfd; CustodyError (wrong identity, damaged ciphertext) names it."""
    fd = os.memfd_create("irkit-clear-bundle", os.MFD_CLOEXEC)
    reader = _HashingReader(path)
    try:
        with open(fd, "wb", closefd=False) as clear:
            pyrage.decrypt_io(reader, clear, list(identities))
        while reader.read(PIPE_CHUNK):  # the whole file's sha256, whatever age left unread
            pass
    except (pyrage.DecryptError, OSError) as exc:
        # rage reports a chunk that fails authentication as an I/O error of the stream
        os.close(fd)
        if "no matching keys" in str(exc).lower():
            raise CustodyError(f"{path}: none of the given identities can decrypt it") from exc
        raise CustodyError(
            f"{path}: cannot be decrypted: damaged ciphertext or unreadable file ({exc})"
        ) from exc
    except BaseException:
        os.close(fd)
        raise
    finally:
        reader.close()
    return ClearCopy(fd, reader.sha.hexdigest())


def clear_copy(path: Path, identities: Sequence[Any]) -> ClearCopy | None:
    """The decrypted copy of an age-encrypted bundle, None for a bundle in clear.
    BundleError for anything but a regular file: a FIFO must not hang the first read."""
    check_regular_file(path)
    if not is_encrypted(path):
        return None
    if not identities:
        raise CustodyError(f"{path} is encrypted with age: pass --identity KEYFILE to read it")
    return decrypt_to_memory(path, identities)
