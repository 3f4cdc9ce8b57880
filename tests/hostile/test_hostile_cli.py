"""Issue 10, points 12 and 9 and "Also": the CLI's input mistakes are exit 2 with a message
naming the input, never a traceback and never a clean-looking exit 0; playbooks and ISFs are
parsed bounded (nesting, decompressed size); a FIFO never hangs a command; a kallsyms without
data symbols is named at ISF build time and at collection time."""

import bz2
import contextlib
import gzip
import json
import lzma
import os
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from irkit.memory.inputs import INPUT_MAX_BYTES, ISF_MAX_DEPTH, InputError, load_isf, read_input
from irkit.memory.isf import NO_DATA_SYMBOLS, build_isf, isf_warnings
from irkit.memory.isfschema import validate_isf
from irkit.playbook import MAX_NESTING, PlaybookError, parse_playbook
from tests.conftest import needs_unprivileged_python, run_irkit_as_nobody
from tests.hostile.fuzzing import fuzz_settings
from tests.test_memory_isf import BANNER as ISF_BANNER
from tests.test_memory_isf import sample_btf, sample_kallsyms
from tests.test_memory_symbols import FIXTURES as MEMORY_FIXTURES
from tests.test_memory_symbols import KALLSYMS as COLLECTED_KALLSYMS
from tests.test_memory_symbols import _collect as collect_symbols
from tests.test_memory_symbols import _tree as symbol_tree

CPUINFO = MEMORY_FIXTURES / "cpuinfo"

Run = Callable[..., subprocess.CompletedProcess[bytes]]


def _usage_error(done: subprocess.CompletedProcess[bytes], *needles: bytes) -> None:
    assert done.returncode == 2, (done.returncode, done.stderr.decode(errors="replace"))
    assert b"Traceback" not in done.stderr
    for needle in needles:
        assert needle in done.stderr, done.stderr.decode(errors="replace")


@pytest.fixture
def fifo(tmp_path: Path) -> Path:
    path = tmp_path / "fifo"
    os.mkfifo(path)
    return path


def _absent_pid() -> int:
    """Above pid_max: no process can have it, whatever else runs on the machine."""
    return int(Path("/proc/sys/kernel/pid_max").read_text()) + 1


# ---- point 12: scan ---------------------------------------------------------------------


def test_scan_of_a_missing_path_is_a_usage_error(tmp_path: Path, run_irkit: Run) -> None:
    present = tmp_path / "present.txt"
    present.write_text("nothing\n")
    _usage_error(run_irkit("scan", present, tmp_path / "absent"), b"absent", b"No such file")
    _usage_error(run_irkit("scan", str(tmp_path / "nomatch*")), b"nomatch*")


def test_scan_of_no_such_pid_is_a_usage_error(run_irkit: Run) -> None:
    pid = _absent_pid()
    _usage_error(run_irkit("scan", "--pid", str(pid)), f"pid {pid}: no such process".encode())


def test_scan_of_a_missing_image_is_a_usage_error(tmp_path: Path, run_irkit: Run) -> None:
    _usage_error(run_irkit("scan", "--image", tmp_path / "absent.lime"), b"absent.lime")


def test_scan_of_a_fifo_is_refused_without_hanging(fifo: Path, run_irkit: Run) -> None:
    _usage_error(run_irkit("scan", fifo, timeout=60), b"not a regular file or directory")
    _usage_error(run_irkit("scan", "--image", fifo, timeout=60), b"not a regular file")
    _usage_error(
        run_irkit("scan", "--rules", fifo, fifo.parent, timeout=60),
        b"rules: not a regular file or directory",
    )


def test_rules_check_of_a_missing_file_is_a_usage_error(tmp_path: Path, run_irkit: Run) -> None:
    _usage_error(run_irkit("rules", "check", tmp_path / "absent.yar"), b"no such file")


@needs_unprivileged_python
def test_scan_where_every_target_failed_is_a_usage_error(nobody_dir: Path) -> None:
    for name in ("a", "b"):
        secret = nobody_dir / name
        secret.write_text("root only\n")
        secret.chmod(0o600)
    _usage_error(run_irkit_as_nobody("scan", nobody_dir), b"every target failed (2)")


# ---- point 12: memory -------------------------------------------------------------------


def test_memory_analyze_of_a_text_file_is_a_usage_error(tmp_path: Path, run_irkit: Run) -> None:
    text = tmp_path / "notes.txt"
    text.write_text("not a memory image\n")
    _usage_error(run_irkit("memory", "analyze", text), b"not a memory image")
    # Page-sized but holding no kernel: still no image of a Linux host.
    blank = tmp_path / "blank.raw"
    blank.write_bytes(b"\0" * 8192)
    _usage_error(run_irkit("memory", "analyze", blank), b"no Linux kernel banner")


def test_memory_isf_of_a_fifo_or_directory_is_refused(
    tmp_path: Path, fifo: Path, run_irkit: Run
) -> None:
    text = tmp_path / "x"
    text.write_text("x")
    out = tmp_path / "out.json.xz"
    for bad in (fifo, tmp_path):
        done = run_irkit(
            "memory", "isf", "--btf", bad, "--kallsyms", text, "--banner", text, "-o", out,
            timeout=60,
        )  # fmt: skip
        _usage_error(done, b"not a regular file")
    assert not out.exists()


# ---- point 9: playbook nesting -----------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "[" * 100_000 + "]" * 100_000,
        "{a: " * 100_000 + "}" * 100_000,
        "\n".join("  " * i + "k:" for i in range(2_000)),
    ],
    ids=["flow-sequence", "flow-mapping", "block-mapping"],
)
def test_deep_playbook_nesting_is_a_named_error(tmp_path: Path, run_irkit: Run, text: str) -> None:
    book = tmp_path / "deep.yaml"
    book.write_text(text)
    done = run_irkit("playbook", "validate", book)
    _usage_error(done, f"{book}:".encode(), b"nesting too deep")


def test_deep_playbook_names_the_line(tmp_path: Path) -> None:
    text = "name: x\ncollectors:\n" + "\n".join(
        "  " * (i + 1) + "k:" for i in range(MAX_NESTING + 5)
    )
    with pytest.raises(PlaybookError, match="nesting too deep") as caught:
        parse_playbook(text, "deep.yaml")
    assert caught.value.line == MAX_NESTING + 2


def test_billion_laughs_playbook_is_still_refused_quickly(tmp_path: Path, run_irkit: Run) -> None:
    levels = ['    a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, 10):
        levels.append(f"    a{i}: &a{i} [" + ",".join([f"*a{i - 1}"] * 9) + "]")
    book = tmp_path / "laughs.yaml"
    book.write_text("name: laughs\ncollectors:\n  processes:\n" + "\n".join(levels) + "\n")
    _usage_error(run_irkit("playbook", "validate", book, timeout=60), b"unknown key")


@fuzz_settings()
@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(max_size=8),
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner),
        max_leaves=40,
    ),
    st.integers(min_value=0, max_value=200),
)
def test_playbook_parser_only_ever_raises_playbook_error(shape: object, depth: int) -> None:
    text = "[" * depth + json.dumps(shape) + "]" * depth
    with contextlib.suppress(PlaybookError):
        parse_playbook(text, "fuzz.yaml")


# ---- point 9: ISF bounds -------------------------------------------------------------------


def _bomb(path: Path, opener: Callable[..., object], size: int) -> Path:
    with opener(path, "wb") as handle:  # type: ignore[operator]
        handle.write(b'{"metadata": "')
        for _ in range(size >> 20):
            handle.write(b" " * (1 << 20))
        handle.write(b'"}')
    return path


@pytest.mark.parametrize(
    "opener,name",
    [(lzma.open, "isf.json.xz"), (gzip.open, "isf.json.gz"), (bz2.open, "isf.json.bz2"),
     (lzma.open, "named-otherwise")],
)  # fmt: skip
def test_decompression_is_capped(tmp_path: Path, opener: Callable[..., object], name: str) -> None:
    bomb = _bomb(tmp_path / name, opener, 2 << 20)
    with pytest.raises(InputError, match="larger than 1 MiB"):
        read_input(bomb, 1 << 20, decompress=True)
    assert len(read_input(bomb, 4 << 20, decompress=True)) == (2 << 20) + 16


def test_xz_bomb_isf_is_refused_by_analyze(tmp_path: Path, run_irkit: Run) -> None:
    bomb = _bomb(tmp_path / "bomb.json.xz", lzma.open, INPUT_MAX_BYTES + (1 << 20))
    assert bomb.stat().st_size < 1 << 20
    image = tmp_path / "blank.raw"
    image.write_bytes(b"\0" * 4096)
    _usage_error(run_irkit("memory", "analyze", image, "--isf", bomb), b"bomb.json.xz", b"larger")


@pytest.mark.parametrize("depth", [ISF_MAX_DEPTH + 1, 100_000])
def test_deep_isf_json_is_a_named_error(tmp_path: Path, run_irkit: Run, depth: int) -> None:
    isf = tmp_path / "deep.json"
    isf.write_text('{"metadata": ' + "[" * depth + "]" * depth + "}")
    with pytest.raises(InputError, match="nested deeper than"):
        load_isf(isf)
    image = tmp_path / "blank.raw"
    image.write_bytes(b"\0" * 4096)
    _usage_error(
        run_irkit("memory", "analyze", image, "--isf", isf), b"deep.json", b"nested deeper than"
    )


def test_isf_fifo_is_refused_without_hanging(fifo: Path) -> None:
    with pytest.raises(InputError, match="not a regular file"):
        load_isf(fifo)


@fuzz_settings()
@given(st.binary(max_size=512), st.sampled_from([None, lzma.compress, gzip.compress, bz2.compress]))
def test_isf_loader_only_ever_raises_input_error(
    tmp_path_factory: pytest.TempPathFactory, data: bytes, pack: Callable[[bytes], bytes] | None
) -> None:
    path = tmp_path_factory.mktemp("isf") / "fuzz.json"
    path.write_bytes(pack(data) if pack else data)
    try:
        isf, text = load_isf(path)
    except InputError:
        return
    assert isinstance(isf, dict) and json.loads(text) == isf


# ---- Also: kallsyms without data symbols (no CONFIG_KALLSYMS_ALL) --------------------------


def _text_only(kallsyms: str) -> str:
    """The kallsyms of a kernel without CONFIG_KALLSYMS_ALL: functions only, no D/B/R lines."""
    return "".join(line for line in kallsyms.splitlines(True) if line.split()[1] not in "DdBbRr")


def test_isf_without_init_task_says_so_at_build_time(tmp_path: Path, run_irkit: Run) -> None:
    isf = build_isf(sample_btf(), _text_only(sample_kallsyms()), ISF_BANNER)
    assert "init_task" not in isf["symbols"]
    assert isf["metadata"]["producer"]["warnings"] == [NO_DATA_SYMBOLS]
    assert validate_isf(isf) == []
    assert isf_warnings(build_isf(sample_btf(), sample_kallsyms(), ISF_BANNER)) == []
    btf, kallsyms, banner = tmp_path / "btf", tmp_path / "kallsyms", tmp_path / "version"
    btf.write_bytes(sample_btf())
    kallsyms.write_text(_text_only(sample_kallsyms()))
    banner.write_bytes(ISF_BANNER)
    out = tmp_path / "o.json.xz"
    done = run_irkit(
        "memory", "isf", "--btf", btf, "--kallsyms", kallsyms, "--banner", banner, "-o", out
    )
    assert done.returncode == 0, done.stderr
    assert b"warning:" in done.stderr and b"CONFIG_KALLSYMS_ALL" in done.stderr
    assert json.loads(lzma.decompress(out.read_bytes()))["metadata"]["producer"]["warnings"]


def test_collection_logs_kallsyms_without_data_symbols(tmp_path: Path) -> None:
    root, proc = symbol_tree(tmp_path, _text_only(COLLECTED_KALLSYMS), CPUINFO.read_text())
    reader = collect_symbols(tmp_path, root, proc)
    record = next(reader.records("memory-symbols"))
    assert record["kallsyms_usable"] is True
    assert record["problems"] == [NO_DATA_SYMBOLS]
    assert b"CONFIG_KALLSYMS_ALL" in reader.read("collection.log")


def test_bad_option_values_are_usage_errors(tmp_path: Path, run_irkit: Run) -> None:
    text = tmp_path / "notes.txt"
    text.write_text("nothing\n")
    _usage_error(run_irkit("scan", "--timeout", "-1", text), b"--timeout")
    image = tmp_path / "blank.raw"
    image.write_bytes(b"\0" * 4096)
    _usage_error(run_irkit("memory", "analyze", image, "--rules", tmp_path / "absent.yar"))
    _usage_error(run_irkit("memory", "analyze", image, "--rules", text), b"notes.txt:1")
