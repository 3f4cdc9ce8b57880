"""How a command says no: one line on stderr naming what, and the exit code (2 by default).

Every command that creates an output maps the same two refusals the same way: the name exists
(`--overwrite` replaces a regular file) or it cannot be written (a link, a device, a missing
directory, no permission: `--overwrite` would not help).
"""

import os
from collections.abc import Iterator
from contextlib import contextmanager

import typer

from irkit.console import err, host
from irkit.exitcodes import ExitCode


def usage_error(message: object, code: ExitCode = ExitCode.USAGE) -> typer.Exit:
    """Print `message` as an error; the caller raises what this returns."""
    err.print(f"[red]error:[/] {host(message)}")
    return typer.Exit(code)


@contextmanager
def output_errors(path: str | os.PathLike[str]) -> Iterator[None]:
    """Creating (and writing) the output at `path`: its refusals become usage errors."""
    try:
        yield
    except FileExistsError as exc:
        name = exc.filename or path
        raise usage_error(f"{name} exists; pass --overwrite to replace it") from exc
    except OSError as exc:
        raise usage_error(f"cannot write {exc.filename or path}: {exc.strerror or exc}") from exc
