"""The options of every command that writes a bundle (collect, triage), declared once.

`BundleOptions` is the one object `start_bundle` takes; `bundle_command` gives a command
function every field of it as a command-line option, so an option added here (a CPU cap, say)
reaches collect and triage, their help and their bundles together.
"""

import functools
import inspect
from collections.abc import Callable
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Annotated, Any

import typer

from irkit.commands.maxcpu import MaxCpuOption
from irkit.commands.options import JsonOption, OverwriteOption
from irkit.custody.settings import ENCRYPT_ENV, SIGN_ENV
from irkit.footprint import DEFAULT_NICE

RootOption = Annotated[
    Path,
    typer.Option(help="Filesystem root to read the host through (a mounted image or fixture)."),
]
LiveProcOption = Annotated[
    Path | None,
    typer.Option(
        help="procfs to read live state from (processes, sockets, kernel). Default: /proc when"
        " --root is /, none otherwise: another host's files never mix with this one's /proc."
    ),
]
QuietOption = Annotated[bool, typer.Option("--quiet", "-q", help="No progress on stderr.")]
SignOption = Annotated[
    Path | None,
    typer.Option(
        "--sign",
        help="Sign the manifest with this Ed25519 key (irkit keys new) at sealing; the"
        f" signature travels in the bundle as manifest.json.sig. Default: ${SIGN_ENV}, then the"
        " playbook's custody.sign.",
        show_default=False,
    ),
]
EncryptOption = Annotated[
    list[str] | None,
    typer.Option(
        "--encrypt-to",
        help="Encrypt the bundle while it is written to this age recipient (age1...) or SSH"
        " public key (ssh-ed25519 ...), or to each one in a file. Repeatable. Default:"
        f" ${ENCRYPT_ENV} (comma-separated), then the playbook's custody.encrypt_to.",
        show_default=False,
    ),
]
NiceOption = Annotated[
    int,
    typer.Option(
        "--nice",
        min=0,
        max=19,
        help="CPU priority irkit lowers itself to (never raises) before anything runs, so the "
        "host keeps serving; hashing, YARA and dumps inherit it.",
    ),
]
IoIdleOption = Annotated[
    bool,
    typer.Option(
        "--io-idle/--io-normal",
        help="Idle I/O class: irkit's reads and writes wait for a disk the host leaves idle.",
    ),
]


@dataclass(frozen=True)
class BundleOptions:
    """How a bundle is written and what it is read from; each field is an option of collect
    and triage (its annotation is the option's declaration)."""

    root: RootOption = Path("/")
    proc: LiveProcOption = None
    overwrite: OverwriteOption = False
    json_out: JsonOption = False
    quiet: QuietOption = False
    sign: SignOption = None
    encrypt_to: EncryptOption = None
    nice: NiceOption = DEFAULT_NICE
    io_idle: IoIdleOption = True
    max_cpu: MaxCpuOption = None


def bundle_command(command: Callable[..., None]) -> Callable[..., None]:
    """Turn `command(..., options: BundleOptions)` into a typer command whose signature has
    the command's own parameters followed by every field of BundleOptions."""
    own = [p for name, p in inspect.signature(command).parameters.items() if name != "options"]
    shared = [
        inspect.Parameter(
            f.name, inspect.Parameter.KEYWORD_ONLY, default=f.default, annotation=f.type
        )
        for f in fields(BundleOptions)
    ]
    names = {f.name for f in fields(BundleOptions)}

    @functools.wraps(command)
    def wrapper(**given: Any) -> None:
        options = BundleOptions(**{name: given.pop(name) for name in names})
        command(**given, options=options)

    del wrapper.__wrapped__  # typer must see the combined signature, not the command's own
    wrapper.__signature__ = inspect.Signature([*own, *shared])  # type: ignore[attr-defined]
    wrapper.__annotations__ = {p.name: p.annotation for p in [*own, *shared]}
    return wrapper
