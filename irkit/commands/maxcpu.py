"""`--max-cpu PCT`, one option shared by the commands that hash and run YARA on a host."""

from typing import Annotated

import typer

MaxCpuOption = Annotated[
    int | None,
    typer.Option(
        "--max-cpu",
        min=1,
        metavar="PCT",
        help="Cap the CPU that hashing and YARA take at PCT of one CPU, as top counts it (200:"
        " two cores): they pause between pieces of work. Default: no cap (--nice only yields"
        " to busier work; an idle host still lends irkit every core).",
        show_default=False,
    ),
]
