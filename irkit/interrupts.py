"""Turn SIGINT/SIGTERM into a clean stop that still seals a readable bundle.

A signal normally raises `CollectionInterrupted` at once, so a collector stuck
in a slow read stops promptly. While the writer is inside a zip write (a
critical section) the signal is held and raised when the section ends, so the
archive never gets a half-written chunk or a CRC that does not match its data.

A guard raises at most once: the stop it causes must reach the seal, and a second
Ctrl-C (or a SIGTERM right after a SIGINT) landing in the handler that prepares
the seal would otherwise escape it and leave the bundle unsealed. After `hold()`
(the work is done, the seal begins) signals are only recorded. Before `arm()` (the
output is being opened, the collection is not yet under way) a signal is held, and
raised as soon as the collection starts, which then seals at once.
"""

import signal
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Any

HANDLED_SIGNALS = (signal.SIGINT, signal.SIGTERM)


class CollectionStopped(BaseException):
    """Stops the collection, which is then sealed as incomplete with this as its reason.

    BaseException, so a collector's fail-soft `except Exception` cannot swallow it.
    """


class CollectionInterrupted(CollectionStopped):
    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


class InterruptGuard:
    def __init__(self) -> None:
        self.pending: int | None = None
        self.received: int | None = None
        self._depth = 0
        self._shield = 0
        self._window = False
        self._armed = False
        self._stopped = False

    def _may_raise(self) -> bool:
        if not self._armed or self._stopped:
            return False
        return self._depth == 0 or (self._window and not self._shield)

    def _raise_pending(self) -> None:
        if self.pending is not None and self._may_raise():
            signum, self.pending = self.pending, None
            self._stopped = True
            raise CollectionInterrupted(signum)

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        self.received = int(signum)
        if not self._stopped:
            self.pending = int(signum)
            self._raise_pending()

    @contextmanager
    def installed(self) -> Iterator["InterruptGuard"]:
        previous: dict[int, Any] = {}
        for signum in HANDLED_SIGNALS:
            previous[signum] = signal.signal(signum, self._handle)
        try:
            yield self
        finally:
            for number, handler in previous.items():
                signal.signal(number, handler)

    def install(self) -> None:
        """Handle the signals for the rest of the process (the CLI's collect and triage).

        Never restored: a signal between the seal and the exit must not kill the process
        before the bundle gets its final name. Harmless once the command is over: an unarmed
        or held guard only records.
        """
        for signum in HANDLED_SIGNALS:
            signal.signal(signum, self._handle)

    def arm(self) -> None:
        """The collection is under way and seals whatever escapes it: signals now stop it."""
        self._armed = True
        self._raise_pending()

    def hold(self) -> None:
        """From now on a signal is recorded in `received`, never raised: the seal has begun."""
        self._stopped = True
        self.pending = None

    @contextmanager
    def critical(self) -> Iterator[None]:
        """Hold signals; one that came meanwhile is raised when the outermost section ends
        normally (never while an exception is already unwinding it)."""
        self._depth += 1
        try:
            yield
        finally:
            self._depth -= 1
        self._raise_pending()

    @contextmanager
    def window(self) -> Iterator[None]:
        """Inside a critical section, let a signal stop a slow read of the host: the archive is
        consistent here (no zip write is under way). Never inside `shielded`."""
        self._window = True
        try:
            self._raise_pending()
            yield
        finally:
            self._window = False

    @contextmanager
    def shielded(self) -> Iterator[None]:
        """Hold every signal for good (used while sealing the bundle)."""
        self._depth += 1
        self._shield += 1
        try:
            yield
        finally:
            self._depth -= 1
            self._shield -= 1
            self.pending = None
