"""Playbooks: the shipped ones validate; broken ones are refused with file and line."""

import json
from pathlib import Path

import pytest
import yaml

from irkit.playbook import PlaybookError, builtin_playbooks, load_playbook, parse_playbook


@pytest.mark.parametrize("name", sorted(builtin_playbooks()))
def test_shipped_playbooks_validate(name: str) -> None:
    book = load_playbook(name)
    assert book.plan()[0].startswith("collect ")
    assert book.plan()[-1].startswith("analyse")


def test_the_plan_runs_most_volatile_first() -> None:
    book = load_playbook("cryptominer")
    ranks = [c.volatility for c in book.collectors]
    assert ranks == sorted(ranks)
    assert [c.name for c in book.collectors][:2] == ["sockets", "processes"]


BROKEN = {
    "unknown collector": (
        "name: x\ncollectors:\n  sockets: {}\n  teleporter: {}\n",
        4,
        "unknown collector 'teleporter'",
    ),
    "unknown key": ("name: x\ncollectors: {}\nhunts: []\nfrobnicate: 1\n", 4, "unknown key"),
    "wrong option type": (
        "name: x\ncollectors:\n  processes:\n    cpu_interval: fast\n",
        4,
        "must be a float",
    ),
    "unknown option": (
        "name: x\ncollectors:\n  processes:\n    colour: red\n",
        4,
        "unknown key 'colour'",
    ),
    "unknown hunt target": (
        "name: x\ncollectors: {}\nhunts:\n  - name: h\n    targets: everything\n",
        5,
        "unknown hunt target",
    ),
    "hunts not a list": ("name: x\ncollectors: {}\nhunts:\n  name: h\n", 4, "must be a list"),
    "bad threshold": ("name: x\ncollectors: {}\nanalysis:\n  threshold: severe\n", 4, "threshold"),
    "bad yaml": ("name: x\ncollectors:\n  sockets: {\n  processes: [\n", 5, "not valid YAML"),
    "missing name": ("collectors: {}\n", 1, "needs a 'name'"),
    "empty": ("", 1, "empty"),
}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_broken_playbooks_name_file_and_line(case: str) -> None:
    text, line, message = BROKEN[case]
    with pytest.raises(PlaybookError) as caught:
        parse_playbook(text, "broken.yaml")
    assert caught.value.line == line, str(caught.value)
    assert message in str(caught.value)
    assert str(caught.value).startswith(f"broken.yaml:{line}: ")


def test_validate_command_exits_2_and_names_the_line(tmp_path: Path, run_irkit) -> None:
    broken = tmp_path / "mine.yaml"
    broken.write_text(BROKEN["wrong option type"][0])
    proc = run_irkit("playbook", "validate", broken)
    assert proc.returncode == 2
    assert f"{broken}:4:" in proc.stderr.decode()
    assert run_irkit("playbook", "validate").returncode == 0


def test_triage_refuses_a_broken_playbook_before_running(tmp_path: Path, run_irkit) -> None:
    broken = tmp_path / "mine.yaml"
    broken.write_text(BROKEN["unknown collector"][0])
    out = tmp_path / "never.zip"
    proc = run_irkit("triage", "-p", broken, "-o", out)
    assert proc.returncode == 2
    assert f"{broken}:4:" in proc.stderr.decode()
    assert not out.exists()


def test_list_and_show(run_irkit) -> None:
    listed = run_irkit("playbook", "list").stdout.decode()
    for name in ("cryptominer", "quick", "full", "ai-agent-sandbox"):
        assert name in listed
    shown = run_irkit("playbook", "show", "quick")
    assert shown.returncode == 0
    document = yaml.safe_load(shown.stdout)
    assert document["plan"][0] == "collect sockets"
    assert document["analysis"]["threshold"] == "medium"
    assert document["limits"]["copy_bytes"] == 64 << 20
    assert "Settings(" not in shown.stdout.decode(), "YAML, not Python reprs"
    as_json = json.loads(run_irkit("playbook", "show", "quick", "--json").stdout)
    assert as_json == document
