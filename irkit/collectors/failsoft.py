"""One bad item is a logged skip: the guard every per-item loop of a collector runs under.

A crafted file name, a 5,000-digit number or a parser bug met on one host file must cost
that one file, not the collector (and with it every later file of every location). The
log line names the item, so the skip is never a silent hole.
"""

import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from irkit.collectors.base import Context


@contextmanager
def item_guard(ctx: Context, step: str, **detail: Any) -> Iterator[None]:
    """Run one item's work; any error in it is logged under `step` with `detail`, then skipped.
    An error that is not the host's (no OSError) is irkit's bug: its traceback is kept too."""
    try:
        yield
    except OSError as exc:
        ctx.log_error(step, exc, skipped=True, **detail)
    except Exception as exc:
        where = traceback.format_exc(limit=4)
        ctx.log_error(step, exc, skipped=True, traceback=where, **detail)
