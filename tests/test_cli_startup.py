"""Start-up: compiled rules kept by sha256 on an analyst's machine, never by triage.

Nothing here times anything (docs/performance.md, "Start-up", has the figures and
benchmarks/startup.py measures them); these tests hold the behaviour the speed rests on.
"""

import ast
import importlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yara

import irkit.hunt as hunt
from irkit.hunt.rules import sources_sha256
from tests.conftest import irkit_command, irkit_env

SINGLE_FILE = bool(os.environ.get("IRKIT_EXECUTABLE"))
"""The single file is made for suspect hosts: it keeps no rule cache (checked below)."""
cached_only = pytest.mark.skipif(SINGLE_FILE, reason="the single file keeps no rule cache")


def rule(name: str, text: str) -> str:
    return f'rule {name} {{ meta: severity = "high" strings: $a = "{text}" condition: $a }}\n'


def scan(target: Path, rules: Path, cache_home: Path, **env: str) -> list[str]:
    """The rules that hit in an `irkit scan --json` run with its cache under `cache_home`."""
    done = subprocess.run(
        irkit_command("scan", target, "--rules", rules, "--json"),
        capture_output=True,
        env=irkit_env(XDG_CACHE_HOME=str(cache_home), **env),
        timeout=300,
        check=False,
    )
    assert done.returncode in (0, 1), done.stderr
    return [hit["rule"] for hit in json.loads(done.stdout)["hits"]]


@cached_only
def test_scan_keeps_compiled_rules_by_sha256_and_a_changed_pack_is_compiled_afresh(
    tmp_path: Path,
) -> None:
    (tmp_path / "t").mkdir()
    (tmp_path / "t" / "a.txt").write_text("marker-one marker-two\n")
    rules = tmp_path / "r.yar"
    rules.write_text(rule("one", "marker-one"))
    cache = tmp_path / "cache"
    assert scan(tmp_path / "t", rules, cache) == ["one"]
    first = sources_sha256([rules])
    assert [p.name for p in (cache / "irkit" / "yara").iterdir()] == [f"{first}.yarc"]
    assert scan(tmp_path / "t", rules, cache) == ["one"], "the cached rules load and match"
    rules.write_text(rule("two", "marker-two"))
    assert scan(tmp_path / "t", rules, cache) == ["two"]
    assert {p.name for p in (cache / "irkit" / "yara").iterdir()} == {
        f"{first}.yarc",
        f"{sources_sha256([rules])}.yarc",
    }


@cached_only
def test_a_cache_file_someone_else_may_write_is_not_loaded(tmp_path: Path) -> None:
    """A compiled file is planted under the real rules' name: loaded only while it is
    private to this user, never once it is group- or world-writable."""
    (tmp_path / "t").mkdir()
    (tmp_path / "t" / "a.txt").write_text("genuine planted\n")
    rules = tmp_path / "r.yar"
    rules.write_text(rule("genuine", "genuine"))
    cache = tmp_path / "cache"
    directory = cache / "irkit" / "yara"
    directory.mkdir(parents=True, mode=0o700)
    planted = directory / f"{sources_sha256([rules])}.yarc"
    yara.compile(source=rule("planted", "planted")).save(str(planted))
    planted.chmod(0o600)
    assert scan(tmp_path / "t", rules, cache) == ["planted"], "a private cache file is used"
    planted.chmod(0o666)
    assert scan(tmp_path / "t", rules, cache) == ["genuine"]


def test_the_cache_is_off_with_the_environment_variable(tmp_path: Path) -> None:
    (tmp_path / "t").mkdir()
    rules = tmp_path / "r.yar"
    rules.write_text(rule("one", "marker-one"))
    assert scan(tmp_path / "t", rules, tmp_path / "cache", IRKIT_RULE_CACHE="0") == []
    assert not (tmp_path / "cache").exists()


@pytest.mark.skipif(not SINGLE_FILE, reason="runs against IRKIT_EXECUTABLE=dist/irkit")
def test_the_single_file_scan_writes_no_rule_cache(tmp_path: Path) -> None:
    (tmp_path / "t").mkdir()
    rules = tmp_path / "r.yar"
    rules.write_text(rule("one", "marker-one"))
    assert scan(tmp_path / "t", rules, tmp_path / "cache") == []
    assert not (tmp_path / "cache").exists()


def test_triage_writes_no_rule_cache(tmp_path: Path) -> None:
    """Forensic soundness: on a suspect host nothing is written outside the output."""
    root = tmp_path / "root"
    (root / "etc").mkdir(parents=True)
    (root / "etc" / "hostname").write_text("box\n")
    home, cache = tmp_path / "home", tmp_path / "xdg"
    home.mkdir()
    done = subprocess.run(
        irkit_command("triage", "-p", "quick", "--root", root, "-o", tmp_path / "q.zip", "-q"),
        capture_output=True,
        env=irkit_env(HOME=str(home), XDG_CACHE_HOME=str(cache)),
        timeout=600,
        check=False,
    )
    assert done.returncode in (0, 1), done.stderr
    assert (tmp_path / "q.zip").stat().st_size > 0
    assert not cache.exists() and list(home.iterdir()) == []


def test_help_imports_no_command() -> None:
    """`irkit --help` lists every command without importing any (nor rich, yara, jinja2)."""
    probe = (
        "import sys, runpy; sys.argv = ['irkit', '--help']\n"
        "try:\n    runpy.run_module('irkit', run_name='__main__')\n"
        "except SystemExit:\n    pass\n"
        "heavy = ('irkit.commands', 'rich', 'yara', 'jinja2', 'volatility3', 'cryptography')\n"
        "print(sorted(m for m in sys.modules if m.startswith(heavy)), file=sys.stderr)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, env=irkit_env(), timeout=120
    )
    assert b"triage" in done.stdout
    assert done.stderr.decode().strip() == "[]"


def loaded_modules(args: list[str], prefixes: tuple[str, ...], **env: str) -> list[str]:
    """The modules of `prefixes` that `irkit ARGS` has imported when it ends."""
    probe = (
        f"import json, sys, runpy; sys.argv = ['irkit', *{args!r}]\n"
        "try:\n    runpy.run_module('irkit', run_name='__main__')\n"
        "except SystemExit:\n    pass\n"
        f"print(json.dumps(sorted(m for m in sys.modules if m.startswith({prefixes!r}))),"
        " file=sys.stderr)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, env=irkit_env(**env), timeout=120
    )
    return json.loads(done.stderr.decode().strip().splitlines()[-1])


def test_a_clean_scan_of_a_tree_imports_only_the_file_scanner(tmp_path: Path) -> None:
    """Not rich (no markup to print), psutil (no --max-cpu), the process and image scanners,
    nor the bundle's manifest and log (docs/performance.md, "Start-up")."""
    (tmp_path / "empty").mkdir()
    heavy = ("rich", "psutil", "irkit.hunt.process", "irkit.hunt.image", "irkit.evidence.manifest")
    loaded = loaded_modules(
        ["scan", str(tmp_path / "empty")],
        (*heavy, "irkit.hunt.files", "yara"),
        IRKIT_RULE_CACHE="0",
    )
    assert loaded == ["irkit.hunt.files", "yara"]


def test_memory_dump_imports_no_analysis() -> None:
    """The analysis, the ISF builder and volatility3 load only for the command that uses them;
    the help still names every plugin."""
    heavy = ("irkit.memory.analyze", "irkit.memory.isf", "volatility3", "irkit.hunt", "yara")
    assert loaded_modules(["memory", "dump", "--help"], heavy) == []
    help_text = subprocess.run(
        irkit_command("memory", "analyze", "--help"),
        capture_output=True,
        env=irkit_env(),
        timeout=120,
        check=True,
    ).stdout.decode()
    assert "pslist, psaux, pstree, sockstat, lsof, malfind, envars, bash" in " ".join(
        help_text.split()
    )


def test_the_hunt_package_names_load_on_first_use() -> None:
    """`irkit.hunt` resolves each name from its module when asked (PEP 562); the table it
    resolves with and the typed re-exports for mypy name the same things."""
    tree = ast.parse(Path(hunt.__file__).read_text())
    typed = {
        alias.asname: node.module
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("irkit.")
        for alias in node.names
    }
    assert typed == {name: f"irkit.hunt.{module}" for name, module in hunt._MODULE.items()}
    for name, module in typed.items():
        assert getattr(hunt, name) is getattr(importlib.import_module(module), name)
    with pytest.raises(AttributeError):
        hunt.no_such_name  # noqa: B018


def test_an_unsigned_unencrypted_collection_loads_no_custody_library(tmp_path: Path) -> None:
    """cryptography and pyrage are 7 MiB of a collection's resident memory (the 100 MiB goal of
    docs/performance.md): they load only when a run signs, encrypts or reads a signature."""
    root = tmp_path / "root"
    (root / "etc").mkdir(parents=True)
    (root / "etc" / "hostname").write_text("box\n")
    args = ["collect", "-c", "host", "--root", str(root), "-o", str(tmp_path / "b.zip"), "-q"]
    assert loaded_modules(args, ("cryptography", "pyrage", "irkit.custody.sshsig")) == []
    assert (tmp_path / "b.zip").stat().st_size > 0
