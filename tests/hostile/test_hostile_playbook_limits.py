"""Issue 10, point 13 and the size caps: a hunt's `rules:` is honoured (or refused before
anything runs), and every cap is a validated playbook option.

Before the fix, `rules:` passed validation and the hunt silently scanned with the shipped
pack; a `limits:` section was an unknown key.
"""

from pathlib import Path

import pytest

from irkit.hunt.rules import default_rules_path
from irkit.limits import Limits
from irkit.playbook import PlaybookError, parse_playbook
from tests.hostile.truncate_helpers import Bundle, write_playbook

ONLY_HERE = """rule only_in_the_hunts_rules
{
    meta:
        severity = "high"
    strings:
        $s = "irkit-hunt-rules-fixture-7c1e"
    condition:
        $s
}
"""
BROKEN = "rule broken\n{\n    condition:\n        $missing\n}\n"
PATHS_HUNT = "  - name: data\n    targets: paths\n    paths: [/data/]\n    rules: {rules}\n"


def _fixture(tmp_path: Path, rules: str) -> tuple[Path, Path]:
    root = tmp_path / "root"
    (root / "data").mkdir(parents=True)
    (root / "data" / "sample.txt").write_text("config irkit-hunt-rules-fixture-7c1e\n")
    playbook = write_playbook(
        tmp_path / "book" / "hunt.yaml",
        collectors="  host: {}\n",
        hunts=PATHS_HUNT.format(rules=rules),
    )
    return root, playbook


@pytest.fixture
def book_dir(tmp_path: Path) -> Path:
    (tmp_path / "book" / "rules").mkdir(parents=True)
    return tmp_path / "book"


def test_a_hunts_own_rules_scan_its_targets(run_irkit, tmp_path: Path, book_dir: Path) -> None:  # type: ignore[no-untyped-def]
    (book_dir / "rules" / "only.yar").write_text(ONLY_HERE)
    root, playbook = _fixture(tmp_path, "rules/only.yar")
    out = tmp_path / "b.zip"
    done = run_irkit("triage", "-p", playbook, "-o", out, "--root", root, "--proc", "/proc", "-q")
    assert done.returncode == 1, done.stderr.decode()
    hits = Bundle(out).of_type("yara-hit")
    assert [(h["rule"], h["path"]) for h in hits] == [
        ("only_in_the_hunts_rules", "/data/sample.txt")
    ]


def test_a_directory_of_rules_and_a_shipped_rule_file_resolve(book_dir: Path) -> None:
    (book_dir / "rules" / "only.yar").write_text(ONLY_HERE)
    source = str(book_dir / "hunt.yaml")
    text = "name: x\ncollectors: {}\nhunts:\n" + PATHS_HUNT
    book = parse_playbook(text.replace("{rules}", "rules"), source)
    assert book.hunts[0].rules_path == book_dir / "rules"
    assert set(book.hunt_rules()) == {book_dir / "rules"}
    shipped = parse_playbook(text.replace("{rules}", "miners_cpu"), source)
    assert shipped.hunts[0].rules_path == default_rules_path() / "miners_cpu.yar"


@pytest.mark.parametrize(
    ("rules", "content", "expected"),
    [
        ("rules/missing.yar", None, "hunt.yaml:8: hunt rules 'rules/missing.yar': no such rule"),
        ("rules/broken.yar", BROKEN, "hunt.yaml:8: the rules of hunt 'data': "),
    ],
)
def test_rules_that_do_not_exist_or_compile_stop_validate_and_triage(
    run_irkit,  # type: ignore[no-untyped-def]
    tmp_path: Path,
    book_dir: Path,
    rules: str,
    content: str | None,
    expected: str,
) -> None:
    if content is not None:
        (book_dir / "rules" / "broken.yar").write_text(content)
    root, playbook = _fixture(tmp_path, rules)
    checked = run_irkit("playbook", "validate", playbook)
    assert checked.returncode == 2
    assert expected in checked.stderr.decode().replace("\n", "")
    out = tmp_path / "b.zip"
    done = run_irkit("triage", "-p", playbook, "-o", out, "--root", root, "--proc", "/proc", "-q")
    assert done.returncode == 2 and expected in done.stderr.decode().replace("\n", "")
    if content is not None:
        assert "broken.yar:5: error: undefined string" in done.stderr.decode().replace("\n", "")
    assert not out.exists() and "Traceback" not in done.stderr.decode()


def test_limits_set_every_cap_and_keep_defaults() -> None:
    text = "name: x\ncollectors: {}\nlimits:\n  executable_bytes: 1048576\n  dump_bytes: 4096\n"
    limits = parse_playbook(text, "x.yaml").limits
    assert limits == Limits(executable_bytes=1 << 20, dump_bytes=4096)
    assert parse_playbook("name: x\ncollectors: {}\n", "x.yaml").limits == Limits()


@pytest.mark.parametrize(
    ("section", "expected"),
    [
        ("limits:\n  copy_byte: 10\n", "x.yaml:4: unknown key 'copy_byte' in limits"),
        ("limits:\n  copy_bytes: big\n", "x.yaml:4: limits.copy_bytes must be a int"),
        ("limits:\n  hash_bytes: -1\n", "x.yaml:4: limits.hash_bytes must be a positive"),
        ("limits:\n  dump_bytes: true\n", "x.yaml:4: limits.dump_bytes must be a int"),
        ("limits: [1]\n", "x.yaml:3: limits must be a mapping"),
    ],
)
def test_a_bad_limit_names_file_and_line(section: str, expected: str) -> None:
    with pytest.raises(PlaybookError) as caught:
        parse_playbook("name: x\ncollectors: {}\n" + section, "x.yaml")
    assert str(caught.value).startswith(expected)


def test_validate_refuses_a_bad_limit_with_exit_2(run_irkit, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    playbook = write_playbook(
        tmp_path / "bad.yaml", collectors="  host: {}\n", limits="  dump_bytes: lots\n"
    )
    done = run_irkit("playbook", "validate", playbook)
    assert done.returncode == 2
    assert "bad.yaml:5: limits.dump_bytes must be a int" in done.stderr.decode()
