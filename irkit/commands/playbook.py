"""`irkit playbook list|show|validate`: what the playbooks do, and whether yours is sound."""

import json
from pathlib import Path
from typing import Annotated

import typer
import yaml

from irkit.commands.options import JsonOption
from irkit.console import err, host, out
from irkit.exitcodes import ExitCode
from irkit.playbook import PlaybookError, builtin_playbooks, load_playbook

app = typer.Typer(
    help="List, show and validate playbooks (YAML files that decide what a triage runs).",
    no_args_is_help=True,
)


@app.command("list")
def list_playbooks(json_out: JsonOption = False) -> None:
    """The built-in playbooks, with what each is for."""
    listed: list[dict[str, str | None]] = []
    for name in builtin_playbooks():
        try:
            listed.append({"name": name, "description": load_playbook(name).description})
        except PlaybookError as exc:
            listed.append({"name": name, "description": None, "error": str(exc)})
    if json_out:
        print(json.dumps(listed, indent=2, ensure_ascii=True))
        return
    for entry in listed:
        error = entry.get("error")
        description = f"[red]broken:[/] {host(error)}" if error else host(entry["description"])
        out.print(f"[bold]{entry['name']:<18}[/] {description}")


@app.command()
def show(
    playbook: Annotated[str, typer.Argument(help="A built-in playbook name or a YAML file.")],
    json_out: JsonOption = False,
) -> None:
    """The plan a playbook makes, as YAML: its steps in the order they run (most volatile
    first), then every setting with the defaults filled in."""
    try:
        book = load_playbook(playbook)
    except PlaybookError as exc:
        err.print(f"[red]error:[/] {host(exc)}")
        raise typer.Exit(ExitCode.USAGE) from exc
    if json_out:
        print(json.dumps(book.to_dict(), indent=2, ensure_ascii=True))
        return
    # safe_dump writes any control character as an escape inside a quoted scalar
    print(yaml.safe_dump(book.to_dict(), sort_keys=False, allow_unicode=False), end="")


@app.command()
def validate(
    files: Annotated[
        list[Path] | None,
        typer.Argument(help="Playbook files to check (default: every built-in playbook)."),
    ] = None,
    json_out: JsonOption = False,
) -> None:
    """Check playbooks without running anything (hunts' own rules are compiled); each error
    names file and line. Exit 2 if any is broken."""
    targets = [str(f) for f in files] if files else list(builtin_playbooks())
    checked: list[dict[str, object]] = []
    for target in targets:
        try:
            book = load_playbook(target)
            book.hunt_rules()
        except PlaybookError as exc:
            checked.append({"playbook": target, "ok": False, "error": str(exc)})
            err.print(f"[red]✗[/] {host(exc)}")
        else:
            checked.append({"playbook": book.source, "ok": True, "steps": len(book.plan())})
            err.print(f"[green]✓[/] {host(book.source)}: {len(book.plan())} steps")
    if json_out:
        print(json.dumps(checked, indent=2, ensure_ascii=True))
    if not all(entry["ok"] for entry in checked):
        raise typer.Exit(ExitCode.USAGE)
