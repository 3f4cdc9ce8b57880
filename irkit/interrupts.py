"""Turn SIGINT/SIGTERM into a clean stop that still seals a readable bundle.

A signal normally raises `CollectionInterrupted` at once, so a collector stuck
in a slow read stops promptly. While the writer is inside a zip write (a
critical section) the signal is held and raised when the section ends, so the
archive never gets a half-written chunk or a CRC that does not match its data.
"""

import signal
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Any

HANDLED_SIGNALS = (signal.SIGINT, signal.SIGTERM)


class CollectionInterrupted(BaseException):
    """BaseException, so a collector's fail-soft `except Exception` cannot swallow it."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


class InterruptGuard:
    def __init__(self) -> None:
        self.pending: int | None = None
        self.received: int | None = None
        self._depth = 0
        self._previous: dict[int, Any] = {}

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        self.received = int(signum)
        if self._depth:
            self.pending = int(signum)
        else:
            raise CollectionInterrupted(signum)

    @contextmanager
    def installed(self) -> Iterator["InterruptGuard"]:
        for signum in HANDLED_SIGNALS:
            self._previous[signum] = signal.signal(signum, self._handle)
        try:
            yield self
        finally:
            for number, handler in self._previous.items():
                signal.signal(number, handler)

    @contextmanager
    def critical(self) -> Iterator[None]:
        self._depth += 1
        try:
            yield
        finally:
            self._depth -= 1
        if self._depth == 0 and self.pending is not None:
            signum, self.pending = self.pending, None
            raise CollectionInterrupted(signum)

    @contextmanager
    def shielded(self) -> Iterator[None]:
        """Hold every signal for good (used while sealing the bundle)."""
        self._depth += 1
        try:
            yield
        finally:
            self._depth -= 1
            self.pending = None
