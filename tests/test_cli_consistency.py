"""One meaning per option across every command, and progress lines that say what they are about."""

import json
import os
import subprocess
from pathlib import Path

import typer
from typer._click import Parameter  # typer bundles its own click

from irkit.cli import app, load_command
from irkit.commands.collect import progress_line
from irkit.commands.options import DEFAULT_FAIL_ON
from irkit.evidence.log import LogEntry
from tests.conftest import irkit_command, irkit_env
from tests.test_cli_help import COMMANDS

NO_JSON = {("timeline",), ("archive", "report")}
"""Every command that prints a result has --json; timeline's and the fleet report's output
is their result (-o)."""


def params(path: tuple[str, ...]) -> list[Parameter]:
    if not path:
        return list(typer.main.get_command(app).params)
    command = load_command(path[0])
    for name in path[1:]:
        command = command.commands[name]  # type: ignore[attr-defined]
    return list(command.params)


def option(path: tuple[str, ...], flag: str) -> Parameter | None:
    return next((p for p in params(path) if flag in p.opts), None)


def test_force_always_means_overwrite() -> None:
    for path in COMMANDS:
        forced = option(path, "--force")
        if forced is not None:
            assert "--overwrite" in forced.opts, (
                f"irkit {' '.join(path)}: --force is not --overwrite"
            )


def test_fail_on_has_one_default() -> None:
    seen = [(path, option(path, "--fail-on")) for path in COMMANDS]
    found = {path: p.default for path, p in seen if p is not None}
    assert set(found) >= {("review",), ("scan",), ("triage",), ("memory", "analyze")}
    for path, default in found.items():
        if path == ("triage",):  # the playbook's threshold: medium in every built-in one
            assert default is None
        else:
            assert default == DEFAULT_FAIL_ON, f"irkit {' '.join(path)}"


def test_every_command_that_prints_a_result_has_json() -> None:
    groups = {path[:-1] for path in COMMANDS if path}
    commands = [path for path in COMMANDS if path and path not in groups]
    assert len(commands) > 12
    for path in commands:
        if path not in NO_JSON:
            assert option(path, "--json") is not None, f"irkit {' '.join(path)} has no --json"


def test_playbook_list_and_validate_as_json(run_irkit) -> None:  # type: ignore[no-untyped-def]
    listed = json.loads(run_irkit("playbook", "list", "--json").stdout)
    assert {"cryptominer", "quick"} <= {entry["name"] for entry in listed}
    checked = json.loads(run_irkit("playbook", "validate", "--json").stdout)
    assert checked and all(entry["ok"] for entry in checked)


def test_a_log_entry_without_an_error_still_says_what_and_where() -> None:
    hit = LogEntry("t", "yara-hit", "triage", "warning", None, {"rule": "XMRig", "target": "/x"})
    assert progress_line(hit) == "triage yara-hit /x: rule XMRig"
    denied = LogEntry("t", "read", "persistence", "error", "Permission denied", {"path": "/etc/a"})
    assert progress_line(denied) == "persistence read /etc/a: Permission denied"
    bare = LogEntry("t", "seal", "irkit", "warning", None, {})
    assert progress_line(bare) == "irkit seal"


def test_shell_completion_answers() -> None:
    env = irkit_env(_IRKIT_COMPLETE="complete_bash", COMP_WORDS="irkit review --al", COMP_CWORD="2")
    done = subprocess.run(irkit_command(), capture_output=True, env=env, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.decode().split() == ["--allow-not-intact"]


def test_collect_and_verify_count_the_same_members(tmp_path: Path, run_irkit) -> None:  # type: ignore[no-untyped-def]
    host = tmp_path / "host"
    (host / "etc").mkdir(parents=True)
    (host / "etc" / "hostname").write_text("box\n")
    bundle = tmp_path / "case.zip"
    collected = run_irkit("collect", "-o", bundle, "-c", "host", "--root", host, "--json", "-q")
    assert collected.returncode == 0, collected.stderr
    members = json.loads(collected.stdout)["members"]
    verified = run_irkit("verify", bundle, "--json")
    assert json.loads(verified.stdout)["members_checked"] == members
    shown = run_irkit("verify", bundle).stderr.decode()
    assert f"{members} members verified" in shown
    assert os.path.exists(bundle)
