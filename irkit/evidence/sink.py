"""The bundle's output: a hashing, non-seekable stream that knows how writing it can fail.

The output is wrapped in a non-seekable sink: zipfile then writes data descriptors instead of
seeking back, which makes `-o -` (stdout) work and lets the whole bundle's sha256 be computed
in the same pass, without re-reading it.

Writing can fail in three ways, each with its own ending:
- the disk fills (ENOSPC, EDQUOT): a small reserve, allocated on the same filesystem at start,
  is released so the bundle can still be sealed; the writer then stops the collection
  (`OutputFull`) and the bundle is sealed as incomplete;
- the reader of `-o -` goes away (EPIPE): `OutputPipeClosed`, nothing more can be written;
- anything else (EIO, EFBIG, the reserve spent): `OutputLost`, the bundle stays unsealed.
`OutputLost` is a BaseException so that no collector's fail-soft `except OSError` can mistake
it for a host file it could not read and carry on writing into a dead output. It is raised
once; later writes (zipfile closing its member and archive while the error unwinds) go
nowhere, and `check()` raises it again for whoever would seal.
"""

import errno
import hashlib
import io
import os
from pathlib import Path
from typing import Any, BinaryIO, Protocol, runtime_checkable

from irkit.interrupts import CollectionStopped

BUFFER = 1 << 20
RESERVE_BYTES = 8 << 20
"""Enough for the chunk being written when the disk fills (zipfile writes up to 1 MiB at a
time), then the file records, the log and the manifest of a large collection."""
FULL_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT})


def describe(error: OSError) -> str:
    name = errno.errorcode.get(error.errno or 0, "error")
    return f"{name}: {error.strerror or error}"


class OutputLost(BaseException):
    """The output could not be written: the bundle is not sealed."""

    def __init__(self, where: str, error: OSError, state: str = "the bundle is not sealed") -> None:
        super().__init__(f"cannot write {where} ({describe(error)}); {state}")
        self.where = where
        self.error = error


class OutputPipeClosed(OutputLost):
    """The reader of the output pipe went away."""

    def __init__(self, where: str, error: OSError) -> None:
        super().__init__(where, error, "the output pipe was closed: the bundle is not sealed")


class OutputFull(CollectionStopped):
    """The disk filled: stop collecting and seal what was written, in the released reserve."""

    def __init__(self, error: OSError) -> None:
        super().__init__(f"output full ({describe(error)})")
        self.error = error


class Reserve:
    """Space held on the output's filesystem by an unnamed file (O_TMPFILE), freed on ENOSPC.

    Unnamed, it can never be collected nor left behind: closing it (or dying) frees it.
    """

    def __init__(self, fd: int | None = None) -> None:
        self._fd = fd

    @classmethod
    def beside(cls, directory: Path, size: int = RESERVE_BYTES) -> "Reserve":
        """Hold min(size, a quarter of the free space); none where the filesystem cannot."""
        try:
            fs = os.statvfs(directory)
            size = min(size, fs.f_bavail * fs.f_frsize // 4)
            if size <= 0:
                return cls()
            fd = os.open(directory, os.O_TMPFILE | os.O_WRONLY | os.O_CLOEXEC, 0o600)
        except OSError:
            return cls()
        try:
            os.posix_fallocate(fd, 0, size)
        except OSError:
            os.close(fd)
            return cls()
        return cls(fd)

    @property
    def held(self) -> bool:
        return self._fd is not None

    def identity(self) -> tuple[int, int] | None:
        if self._fd is None:
            return None
        st = os.fstat(self._fd)
        return st.st_dev, st.st_ino

    def release(self) -> bool:
        """Free the space; False when there was none to free."""
        if self._fd is None:
            return False
        fd, self._fd = self._fd, None
        os.close(fd)
        return True


@runtime_checkable
class BundleSink(Protocol):
    """What the bundle writer writes to: a HashingSink, or an encrypting one in front of it."""

    @property
    def full(self) -> OSError | None: ...

    def write(self, data: bytes) -> int: ...

    def tell(self) -> int: ...

    def seek(self, *args: Any) -> int: ...

    def flush(self) -> None: ...

    def check(self) -> None: ...

    def close(self) -> None: ...

    def finish(self) -> None: ...

    def release_reserve(self) -> None: ...

    def hexdigest(self) -> str: ...


class HashingSink:
    """A write-only, non-seekable file that hashes what passes through it."""

    def __init__(
        self,
        raw: BinaryIO,
        *,
        where: str = "the output",
        lost: str = "the bundle is not sealed",
        reserve: Reserve | None = None,
    ) -> None:
        self._raw = raw
        self._sha = hashlib.sha256()
        self._pos = 0
        self._buffer = bytearray()
        self._reserve = reserve or Reserve()
        self._lost: OutputLost | None = None
        self.where = where
        self.lost = lost
        """What a failed write leaves behind, for the message."""
        self.full: OSError | None = None
        """Set once the disk filled and the reserve was released: time to stop and seal."""

    def write(self, data: bytes) -> int:
        if self._lost is not None:
            return len(data)
        self._buffer += data
        self._sha.update(data)
        self._pos += len(data)
        if len(self._buffer) >= BUFFER:
            self._drain()
        return len(data)

    def _drain(self) -> None:
        done = 0
        view = memoryview(self._buffer)
        try:
            while done < len(view):
                try:
                    done += self._raw.write(view[done:]) or 0
                except OSError as exc:
                    self._failed(exc)
        finally:
            view.release()
            del self._buffer[:done]

    def _failed(self, exc: OSError) -> None:
        """Return to retry the write (the reserve was just freed); raise when it is lost."""
        if exc.errno in FULL_ERRNOS and self.full is None and self._reserve.release():
            self.full = exc
            return
        if exc.errno == errno.EPIPE:
            self._lost = OutputPipeClosed(self.where, exc)
        else:
            self._lost = OutputLost(self.where, exc, self.lost)
        raise self._lost from exc

    def tell(self) -> int:
        return self._pos

    def seek(self, *args: Any) -> int:
        raise io.UnsupportedOperation("the bundle is written as a stream")

    def check(self) -> None:
        """Raise the loss again: nothing lost may be sealed or published."""
        if self._lost is not None:
            raise self._lost

    def flush(self) -> None:
        if self._lost is not None:
            return
        self._drain()
        while True:
            try:
                self._raw.flush()
                return
            except OSError as exc:
                self._failed(exc)

    def close(self) -> None:
        """The sink never closes the output it wraps: the caller owns it (stdout, say)."""
        self.flush()

    def finish(self) -> None:
        """Everything written is on its way to the output (the seal's last step)."""
        self.flush()

    def release_reserve(self) -> None:
        self._reserve.release()

    def hexdigest(self) -> str:
        return self._sha.hexdigest()
