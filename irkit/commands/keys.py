"""`irkit keys new`: make the Ed25519 key pair that signs bundles at sealing."""

import json
from pathlib import Path
from typing import Annotated

import typer

from irkit.commands.errors import output_errors
from irkit.commands.options import JsonOption, OverwriteOption
from irkit.console import err, host
from irkit.custody.keys import new_key_pair

keys_app = typer.Typer(
    name="keys", help="Signing keys for bundles.", no_args_is_help=True, add_completion=False
)


@keys_app.command("new")
def new(
    path: Annotated[Path, typer.Argument(help="Private key file to create (PATH.pub beside it).")],
    comment: Annotated[str, typer.Option(help="Comment on the public key line.")] = "irkit",
    overwrite: OverwriteOption = False,
    json_out: JsonOption = False,
) -> None:
    """Make an Ed25519 signing key pair: PATH (private, OpenSSH format) and PATH.pub, both
    created 0600 and never through a link. The public key line is printed on stdout: give it
    to `irkit verify --trust`, or put it in an allowed_signers file for `ssh-keygen -Y verify`.
    Keep PATH off the hosts you collect from when you can; it never goes into a bundle or log.
    """
    with output_errors(path):
        line, key_print = new_key_pair(path, force=overwrite, comment=comment)
    err.print(f"signing key {host(path)}, public key {host(path)}.pub ({key_print})")
    if json_out:
        made = {"private_key": str(path), "public_key": f"{path}.pub", "fingerprint": key_print}
        print(json.dumps(made | {"public_line": line}, indent=2, ensure_ascii=True))
    else:
        print(line)
