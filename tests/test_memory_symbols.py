"""Symbol material collection through --root/--proc fixture trees."""

from pathlib import Path

from irkit.collectors.base import Context
from irkit.collectors.symbols import collect_symbol_material, cpu_la57, kallsyms_addresses_zero
from irkit.evidence.reader import BundleReader
from irkit.evidence.writer import EvidenceWriter
from irkit.review.memory import symbols_from_bundle

FIXTURES = Path(__file__).parent / "fixtures" / "memory"
KALLSYMS = "ffffffff8a800000 T _text\nffffffff8c21aa40 D init_task\n"
ZEROS = "0000000000000000 T _text\n0000000000000000 D init_task\n"
BANNER = "Linux version 6.1.0-57-amd64 (debian-kernel@lists.debian.org) #1 SMP\n"


def _tree(tmp_path: Path, kallsyms: str, cpuinfo: str) -> tuple[Path, Path]:
    root, proc = tmp_path / "root", tmp_path / "proc"
    (root / "sys/kernel/btf").mkdir(parents=True)
    (root / "sys/kernel/btf/vmlinux").write_bytes(b"\x9f\xeb\x01\x00" + b"\0" * 60)
    (proc / "sys/kernel").mkdir(parents=True)
    (proc / "sys/kernel/kptr_restrict").write_text("2\n" if kallsyms == ZEROS else "0\n")
    (proc / "kallsyms").write_text(kallsyms)
    (proc / "version").write_text(BANNER)
    (proc / "cpuinfo").write_text(cpuinfo)
    return root, proc


def _collect(tmp_path: Path, root: Path, proc: Path) -> BundleReader:
    bundle = tmp_path / "b.zip"
    with bundle.open("wb") as handle:
        writer = EvidenceWriter(handle, command_line=["test"])
        ctx = Context(writer=writer, root=root, proc=proc, collector="memory")
        ctx.emit(collect_symbol_material(ctx))
        writer.write_records("records/memory.jsonl", ctx.records, collector="memory")
        writer.close(complete=True)
    return BundleReader(bundle)


def test_symbol_material_collected_and_extracted(tmp_path: Path) -> None:
    root, proc = _tree(tmp_path, KALLSYMS, (FIXTURES / "cpuinfo").read_text())
    reader = _collect(tmp_path, root, proc)
    record = next(reader.records("memory-symbols"))
    assert record["btf_member"] == "files/sys/kernel/btf/vmlinux"
    assert record["kallsyms_usable"] is True and record["la57"] is False
    assert record["banner"] == BANNER.strip() and record["problems"] == []
    out = tmp_path / "extracted"
    out.mkdir()
    material = symbols_from_bundle(reader, out)
    assert material is not None and material.missing() == []
    assert material.kallsyms is not None and material.kallsyms.read_text() == KALLSYMS


def test_hidden_kallsyms_and_la57_are_problems(tmp_path: Path) -> None:
    cpuinfo = (FIXTURES / "cpuinfo").read_text().replace(" pku ", " pku la57 ")
    root, proc = _tree(tmp_path, ZEROS, cpuinfo)
    record = next(_collect(tmp_path, root, proc).records("memory-symbols"))
    assert record["kallsyms_usable"] is False and record["kptr_restrict"] == 2
    assert record["la57"] is True
    assert any("all read 0" in p for p in record["problems"])
    assert any("5-level" in p for p in record["problems"])


def test_zero_check_and_la57_parsers() -> None:
    assert kallsyms_addresses_zero(ZEROS.encode())
    assert not kallsyms_addresses_zero(KALLSYMS.encode())
    assert not kallsyms_addresses_zero(b"")
    assert cpu_la57((FIXTURES / "cpuinfo").read_text()) is False
    assert cpu_la57("processor : 0\n") is None
