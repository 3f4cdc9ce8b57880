"""Process memory dumps: a live process's heap marker, readable by readelf and irkit's YARA."""

import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from irkit.hunt import FileScanner, compile_rules
from irkit.memory.dump import (
    EHDR,
    NT_IRKIT_MAPS,
    PHDR,
    PT_LOAD,
    DumpBudget,
    MapsError,
    dump_process,
    plan_dump,
)
from irkit.memory.layout import image_layout
from irkit.parsers.procmaps import parse_maps

FIXTURES = Path(__file__).parent / "fixtures" / "memory"
MARKER = "IRKIT-DUMP-MARKER-5c1e9b"
STRATUM = "stratum+tcp://pool.example.invalid:3333"


@pytest.fixture
def marked_process():
    """A live process holding the marker and a stratum URL in its heap (built at runtime)."""
    code = textwrap.dedent(
        f"""
        import sys, time
        held = bytearray(("{MARKER[:9]}" + "{MARKER[9:]} " + "{STRATUM}\\n").encode() * 64)
        print("ready", flush=True)
        sys.stdin.read()
        """
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE
    )
    assert proc.stdout is not None and proc.stdout.readline() == b"ready\n"
    yield proc
    proc.kill()
    proc.wait()


def _rules(tmp_path: Path) -> Path:
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "marker.yar").write_text(
        'rule dump_marker { meta: severity = "high" description = "test marker"'
        f' strings: $m = "{MARKER}" $s = "{STRATUM}" condition: $m and $s }}\n'
    )
    return rules


def test_dump_cli_writes_a_core_readelf_and_yara_open(
    marked_process: subprocess.Popen[bytes], tmp_path: Path, run_irkit
) -> None:  # type: ignore[no-untyped-def]
    core = tmp_path / "p.core"
    done = run_irkit("memory", "dump", "--pid", str(marked_process.pid), "-o", core)
    assert done.returncode == 0, done.stderr.decode()
    assert b"[vvar]" in done.stderr or b"skipped" in done.stderr
    if shutil.which("readelf"):
        listing = subprocess.run(["readelf", "-l", core], capture_output=True, check=True).stdout
        assert b"CORE (Core file)" in listing
        assert listing.count(b"LOAD") > 5 and b"NOTE" in listing
    rules = _rules(tmp_path)
    scanned = run_irkit("scan", "--rules", rules, "--max-size", "1G", core, "--json")
    assert scanned.returncode == 1, scanned.stderr.decode()  # a high-severity hit
    assert b"dump_marker" in scanned.stdout
    result = FileScanner(compile_rules(rules).rules).scan_file(core)
    assert [h.rule for h in result.hits] == ["dump_marker"]
    # The hit's file offset maps back through the PT_LOAD table to a heap address.
    offset = result.hits[0].strings[0].offset
    layout = image_layout(core)
    assert any(r.file_offset <= offset < r.file_offset + r.length for r in layout.ranges)


def test_dump_keeps_maps_in_a_note(marked_process: subprocess.Popen[bytes]) -> None:
    plan, result, chunks = dump_process(marked_process.pid)
    data = b"".join(chunks)
    assert not result.partial
    assert data[:4] == b"\x7fELF"
    assert NT_IRKIT_MAPS.to_bytes(4, "little") + b"IRKIT\0" in data[:8192]
    assert plan.maps_text[:200] in data[:65536]
    assert result.bytes_read + result.bytes_untouched == plan.total
    assert len(data) == image_layout_size(plan)


def image_layout_size(plan) -> int:  # type: ignore[no-untyped-def]
    from irkit.memory.dump import _note, core_header

    return len(core_header(plan, _note(b"IRKIT", NT_IRKIT_MAPS, plan.maps_text))) + plan.total


def test_budgets_cut_regions_and_total() -> None:
    maps = (FIXTURES / "maps").read_bytes()
    plan = plan_dump(1, maps, DumpBudget(max_region=0x1000, max_total=0x3000))
    assert [take for _, take in plan.regions] == [0x1000, 0x1000, 0x1000]
    reasons = [reason for _, reason in plan.skipped]
    assert any("[vvar]" in r for r in reasons)
    assert any("[vsyscall]" in r for r in reasons)
    assert any("no r permission" in r for r in reasons)
    assert any("total budget" in r for r in reasons)


def test_maps_fixture_parses_to_expected_regions() -> None:
    regions, problems = parse_maps((FIXTURES / "maps").read_bytes())
    assert problems == []
    assert regions[0].start == 0x55D0C2A00000 and regions[0].perms == "r--p"
    assert regions[0].path == "/usr/bin/python3.11"
    assert [r.path for r in regions].count("[heap]") == 1
    anon = [r for r in regions if r.path == ""]
    assert anon and anon[0].inode == 0
    assert regions[-1].path == "[vsyscall]"


def test_corrupt_maps_names_the_line(tmp_path: Path) -> None:
    _, problems = parse_maps((FIXTURES / "maps.corrupt").read_bytes())
    assert problems and problems[0].startswith("maps:2: not a maps line")
    proc = tmp_path / "proc"
    (proc / "4242").mkdir(parents=True)
    (proc / "4242" / "maps").write_bytes((FIXTURES / "maps.corrupt").read_bytes())
    with pytest.raises(MapsError, match=r"/proc/4242/maps:2: not a maps line"):
        dump_process(4242, proc, DumpBudget(), log=lambda *a, **k: None)


def test_process_gone_mid_dump_gives_partial_core(tmp_path: Path) -> None:
    """A procfs fixture whose mem ends early stands in for a process that exits mid-dump."""
    pid_dir = tmp_path / "4242"
    pid_dir.mkdir()
    (pid_dir / "maps").write_bytes(
        b"00001000-00003000 rw-p 00000000 00:00 0 [heap]\n"
        b"00010000-00011000 r--p 00000000 00:00 0 \n"
    )
    (pid_dir / "mem").write_bytes(b"\x00" * 0x1000 + b"HEAPDATA" * 512)  # ends at 0x2000
    lines = []
    _plan, result, chunks = dump_process(4242, tmp_path, log=lambda *a, **k: lines.append((a, k)))
    data = b"".join(chunks)
    assert result.partial
    assert any("end of data" in u for u in result.unreadable)
    assert any(a[0] == "dump-read-region" for a, _ in lines)
    # Each PT_LOAD keeps its declared size: the missing bytes are zeros, offsets stay true.
    layout = image_layout_from_bytes(tmp_path, data)
    assert [r.length for r in layout] == [0x2000, 0x1000]


def image_layout_from_bytes(tmp_path: Path, data: bytes):  # type: ignore[no-untyped-def]
    core = tmp_path / "partial.core"
    core.write_bytes(data)
    return image_layout(core).ranges


def test_dump_of_missing_pid_is_a_usage_error(tmp_path: Path, run_irkit) -> None:  # type: ignore[no-untyped-def]
    done = run_irkit("memory", "dump", "--pid", "999999999", "-o", tmp_path / "x.core")
    assert done.returncode == 2
    assert b"999999999" in done.stderr and b"Traceback" not in done.stderr


@pytest.fixture
def reserved_process():  # type: ignore[no-untyped-def]
    """A live process with a 64 MiB private anonymous mapping of which one page was written
    (the marker at 32 MiB + 100); yields it and the mapping's address."""
    code = textwrap.dedent(
        f"""
        import ctypes, mmap, sys
        area = mmap.mmap(-1, 64 << 20, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS)
        area[(32 << 20) + 100:(32 << 20) + 100 + {len(MARKER)}] = b"{MARKER}"
        print(hex(ctypes.addressof(ctypes.c_char.from_buffer(area))), flush=True)
        sys.stdin.read()
        """
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE
    )
    assert proc.stdout is not None
    start = int(proc.stdout.readline(), 16)
    yield proc, start
    proc.kill()
    proc.wait()


def _reserved_area(core: bytes, start: int) -> bytes:
    offset, vaddr, _ = next(load for load in _loads(core) if load[1] <= start < load[1] + load[2])
    return core[offset + start - vaddr : offset + start - vaddr + (64 << 20)]


def test_untouched_anonymous_pages_are_zeros_not_reads(reserved_process) -> None:  # type: ignore[no-untyped-def]
    """The core holds the marker at its address and zeros around it, and the untouched pages
    were never read (pagemap)."""
    proc, start = reserved_process
    _, result, chunks = dump_process(proc.pid)
    area = _reserved_area(b"".join(chunks), start)
    assert area[(32 << 20) + 100 :].startswith(MARKER.encode())
    assert area.count(0) == (64 << 20) - len(MARKER)
    assert result.bytes_untouched >= (64 << 20) - (4 << 20)
    assert not result.partial


def test_dump_cli_leaves_untouched_pages_as_holes(  # type: ignore[no-untyped-def]
    reserved_process, tmp_path: Path, run_irkit
) -> None:
    """The core file written by `irkit memory dump` is sparse where the pages were never
    touched, and reads back the same bytes as the stream."""
    proc, start = reserved_process
    core = tmp_path / "p.core"
    done = run_irkit("memory", "dump", "--pid", str(proc.pid), "-o", core)
    assert done.returncode == 0, done.stderr.decode()
    data = core.read_bytes()
    area = _reserved_area(data, start)
    assert area[(32 << 20) + 100 :].startswith(MARKER.encode())
    assert area.count(0) == (64 << 20) - len(MARKER)
    assert core.stat().st_blocks * 512 < len(data) - (32 << 20)


def _loads(core: bytes) -> list[tuple[int, int, int]]:
    """(file offset, address, size) of each PT_LOAD of a core."""
    fields = EHDR.unpack_from(core)
    phoff, phentsize, phnum = fields[5], fields[9], fields[10]
    loads = []
    for i in range(phnum):
        p_type, _, offset, vaddr, _, filesz, _, _ = PHDR.unpack_from(core, phoff + i * phentsize)
        if p_type == PT_LOAD:
            loads.append((offset, vaddr, filesz))
    return loads


def test_dump_cli_cuts_the_core_to_the_room_the_output_has(  # type: ignore[no-untyped-def]
    reserved_process, small_disk: Path, run_irkit
) -> None:
    """A core larger than the output's free space (a real 16 MiB tmpfs, memory-backed) is
    cut to fit and says so (partial, exit 3), instead of failing on a full disk."""
    proc, _ = reserved_process
    core = small_disk / "p.core"
    done = run_irkit("memory", "dump", "--pid", str(proc.pid), "-o", core)
    stderr = done.stderr.decode()
    assert done.returncode == 3, stderr
    assert "the core is cut there" in stderr and "output free space" in stderr
    assert 0 < core.stat().st_size <= 16 << 20


def test_the_memory_command_imports_no_hunt_package() -> None:
    """`memory dump` starts without yara and the scanners (most of its start-up): the hunt
    package is imported only by `memory analyze --rules`, when it runs."""
    probe = (
        "import sys, irkit.commands.memory\n"
        "print(sorted(m for m in sys.modules if m.startswith(('irkit.hunt', 'yara'))))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        cwd=Path(__file__).resolve().parent.parent,
        timeout=120,
        check=True,
    )
    assert done.stdout.decode().strip() == "[]"
