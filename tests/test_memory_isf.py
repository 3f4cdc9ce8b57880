"""The BTF parser and ISF builder on a small BTF blob the test writes byte by byte."""

import json
import lzma
import struct
from pathlib import Path

import pytest

from irkit.memory.btf import BtfError, parse_btf
from irkit.memory.isf import IsfError, build_isf, parse_kallsyms, write_isf
from irkit.memory.isfschema import SchemaValidator, schema_path, validate_isf

SHIFT = 0x1A400000
BANNER = b"Linux version 6.1.0-test (irkit@test) (gcc 12) #1 SMP PREEMPT_DYNAMIC\n"


class BtfWriter:
    """Writes raw BTF (kernel Documentation/bpf/btf.rst); type ids count from 1."""

    def __init__(self) -> None:
        self.strings = bytearray(b"\0")
        self.types = bytearray()
        self.count = 0

    def name(self, text: str) -> int:
        if not text:
            return 0
        off = len(self.strings)
        self.strings += text.encode() + b"\0"
        return off

    def add(
        self,
        kind: int,
        name: str,
        vlen: int,
        size_or_type: int,
        tail: bytes = b"",
        flag: bool = False,
    ) -> int:
        info = (kind << 24) | vlen | (1 << 31 if flag else 0)
        self.types += struct.pack("<III", self.name(name), info, size_or_type) + tail
        self.count += 1
        return self.count

    def int_(
        self, name: str, size: int, signed: bool = False, char: bool = False, bits: int = 0
    ) -> int:
        enc = (1 if signed else 0) | (2 if char else 0)
        return self.add(1, name, 0, size, struct.pack("<I", (enc << 24) | (bits or size * 8)))

    def struct_(
        self, name: str, size: int, members: list[tuple[str, int, int, int]], union: bool = False
    ) -> int:
        flag = any(m[3] for m in members)
        tail = b"".join(
            struct.pack("<III", self.name(n), t, (bits << 24 | off) if flag else off)
            for n, t, off, bits in members
        )
        return self.add(5 if union else 4, name, len(members), size, tail, flag)

    def blob(self) -> bytes:
        header = struct.pack(
            "<HBBIIIII", 0xEB9F, 1, 0, 24, 0, len(self.types), len(self.types), len(self.strings)
        )
        return header + bytes(self.types) + bytes(self.strings)


def sample_btf() -> bytes:
    w = BtfWriter()
    u32 = w.int_("unsigned int", 4)
    i32 = w.int_("int", 4, signed=True)
    char = w.int_("char", 1, signed=True, char=True)
    ulong = w.int_("long unsigned int", 8)
    fwd_task = w.add(7, "task_struct", 0, 0)  # forward declaration, resolved by name
    ptr_task = w.add(2, "", 0, fwd_task)
    list_head = w.struct_("list_head", 16, [])
    ptr_list = w.add(2, "", 0, list_head)
    # Fill list_head's members now that the pointer type exists: rewrite is simpler as a 2nd type.
    list_head2 = w.struct_("list_head", 16, [("next", ptr_list, 0, 0), ("prev", ptr_list, 64, 0)])
    comm = w.add(3, "", 0, 0, struct.pack("<III", char, u32, 16))
    const_int = w.add(10, "", 0, i32)
    pid_t = w.add(8, "pid_t", 0, const_int)
    anon_union = w.struct_("", 8, [("a", u32, 0, 0), ("b", ulong, 0, 0)], union=True)
    state_enum = w.add(
        6,
        "task_state",
        2,
        4,
        struct.pack("<Ii", w.name("RUNNING"), 0) + struct.pack("<Ii", w.name("DEAD"), -1),
        flag=True,
    )
    proto = w.add(13, "", 0, i32)
    ptr_fn = w.add(2, "", 0, proto)
    w.struct_(
        "task_struct",
        64,
        [
            ("tasks", list_head2, 0, 0),
            ("pid", pid_t, 128, 0),
            ("comm", comm, 160, 0),
            ("", anon_union, 320, 0),
            ("flag_a", u32, 384, 1),
            ("flag_b", u32, 385, 3),
            ("state", state_enum, 416, 0),
            ("parent", ptr_task, 448, 0),
        ],
    )
    w.struct_("", 4, [("x", u32, 0, 0)])  # an anonymous struct named by a typedef
    w.add(8, "atomic_like_t", 0, w.count)
    w.struct_("ops", 8, [("fn", ptr_fn, 0, 0)])
    w.add(14, "runqueues", 0, ulong, struct.pack("<I", 1))
    return w.blob()


def sample_kallsyms() -> str:
    base = 0xFFFFFFFF81000000 + SHIFT
    return (
        f"0000000000000000 A fixed_percpu_data\n"
        f"0000000000031c40 A runqueues\n"
        f"{base:016x} T _text\n"
        f"{base + 0x1000:016x} D init_task\n"
        f"{base + 0x2000:016x} D linux_banner\n"
        f"{base + 0x3000:016x} T _etext\n"
        f"ffffffffc03bb024 r _note_10\t[virtio_blk]\n"
    )


def test_isf_from_btf_kallsyms_banner() -> None:
    isf = build_isf(sample_btf(), sample_kallsyms(), BANNER)
    assert validate_isf(isf) == []
    task = isf["user_types"]["task_struct"]
    fields = task["fields"]
    assert task["size"] == 64
    assert fields["tasks"] == {"type": {"kind": "struct", "name": "list_head"}, "offset": 0}
    assert fields["pid"]["type"] == {"kind": "base", "name": "int"}  # typedef + const resolved
    assert fields["comm"] == {
        "type": {"kind": "array", "count": 16, "subtype": {"kind": "base", "name": "char"}},
        "offset": 20,
    }
    assert fields["flag_b"] == {
        "type": {
            "kind": "bitfield",
            "bit_position": 1,
            "bit_length": 3,
            "type": {"kind": "base", "name": "unsigned int"},
        },
        "offset": 48,
    }
    anonymous = [f for f in fields.values() if f.get("anonymous")]
    assert len(anonymous) == 1 and anonymous[0]["offset"] == 40
    assert isf["user_types"][anonymous[0]["type"]["name"]]["kind"] == "union"
    assert fields["parent"]["type"] == {
        "kind": "pointer",
        "subtype": {"kind": "struct", "name": "task_struct"},
    }
    assert fields["state"]["type"] == {"kind": "enum", "name": "task_state"}
    assert isf["enums"]["task_state"] == {
        "size": 4,
        "base": "int",
        "constants": {"RUNNING": 0, "DEAD": -1},
    }
    assert "atomic_like_t" in isf["user_types"]
    assert isf["user_types"]["ops"]["fields"]["fn"]["type"] == {
        "kind": "pointer",
        "subtype": {"kind": "function"},
    }
    # The second list_head definition clashes with the first and gets a suffix.
    assert any(name.startswith("list_head__") for name in isf["user_types"])
    assert isf["base_types"]["char"]["kind"] == "char"
    assert isf["base_types"]["pointer"]["size"] == 8


def test_symbols_unshifted_typed_and_module_lines_dropped() -> None:
    isf = build_isf(sample_btf(), sample_kallsyms(), BANNER)
    symbols = isf["symbols"]
    assert symbols["_text"]["address"] == 0xFFFFFFFF81000000
    assert symbols["init_task"]["address"] == 0xFFFFFFFF81001000
    assert symbols["init_task"]["type"] == {"kind": "struct", "name": "task_struct"}
    assert symbols["runqueues"] == {
        "address": 0x31C40,
        "type": {"kind": "base", "name": "long unsigned int"},
    }
    assert "_note_10" not in symbols
    import base64

    assert base64.b64decode(symbols["linux_banner"]["constant_data"]) == BANNER + b"\0"


def test_written_isf_round_trips(tmp_path: Path) -> None:
    isf = build_isf(sample_btf(), sample_kallsyms(), BANNER)
    target = tmp_path / "k.json.xz"
    write_isf(isf, target)
    assert json.loads(lzma.decompress(target.read_bytes())) == json.loads(json.dumps(isf))


def test_fast_validator_agrees_with_jsonschema() -> None:
    """Differential check of the small schema interpreter against jsonschema itself."""
    import copy

    import jsonschema

    schema = json.loads(schema_path("6.2.0").read_text())
    reference = jsonschema.validators.validator_for(schema)(schema)
    ours = SchemaValidator(schema)
    good = build_isf(sample_btf(), sample_kallsyms(), BANNER)
    breakages = [
        lambda d: d["user_types"]["task_struct"]["fields"]["pid"].update(type={"kind": "bogus"}),
        lambda d: d["user_types"]["task_struct"]["fields"]["comm"].update(offset="20"),
        lambda d: d["symbols"]["init_task"].update(extra=1),
        lambda d: d["base_types"]["int"].update(kind="integer"),
        lambda d: d["enums"]["task_state"].pop("base"),
        lambda d: d["metadata"].update(format="5.0.0"),
        lambda d: d.pop("symbols"),
        lambda d: d["symbols"]["init_task"].update(type={"kind": "pointer"}),
        lambda d: d["user_types"]["task_struct"].update(kind="class"),
    ]
    assert not list(reference.iter_errors(good)) and not ours.errors(good)
    for breakage in breakages:
        bad = copy.deepcopy(good)
        breakage(bad)
        assert bool(list(reference.iter_errors(bad))) == bool(ours.errors(bad)), breakage


def test_corrupt_btf_is_named() -> None:
    blob = sample_btf()
    with pytest.raises(BtfError, match="bad magic"):
        parse_btf(b"\x00\x00" + blob[2:])
    with pytest.raises(BtfError, match=r"past the end|cut short"):
        parse_btf(blob[:60])
    with pytest.raises(BtfError, match="shorter than"):
        parse_btf(blob[:10])
    broken = bytearray(blob)
    struct.pack_into("<I", broken, 24 + 4, 31 << 24)  # first type: kind 31
    with pytest.raises(BtfError, match="unknown kind 31"):
        parse_btf(bytes(broken))


def test_kallsyms_problems_name_the_line() -> None:
    with pytest.raises(IsfError, match=r"ks:2: expected"):
        parse_kallsyms(["ffffffff81000000 T _text", "garbage"], "ks")
    with pytest.raises(IsfError, match=r"ks:1: bad address"):
        parse_kallsyms(["zzzz T _text"], "ks")
    with pytest.raises(IsfError, match="kptr_restrict"):
        parse_kallsyms(["0000000000000000 T _text", "0000000000000000 D init_task"], "ks")
    with pytest.raises(IsfError, match="no _text"):
        parse_kallsyms(["ffffffff81000000 T other"], "ks")


def test_banner_must_be_proc_version() -> None:
    with pytest.raises(IsfError, match=r"ver:1: does not start"):
        build_isf(sample_btf(), sample_kallsyms(), b"hello\n", sources=("ks", "ver"))


def test_isf_cli_reports_bad_input(tmp_path: Path, run_irkit) -> None:  # type: ignore[no-untyped-def]
    btf = tmp_path / "btf"
    btf.write_bytes(b"not btf at all, definitely not" * 2)
    ks = tmp_path / "kallsyms"
    ks.write_text(sample_kallsyms())
    ver = tmp_path / "version"
    ver.write_bytes(BANNER)
    out = tmp_path / "o.json.xz"
    done = run_irkit("memory", "isf", "--btf", btf, "--kallsyms", ks, "--banner", ver, "-o", out)
    assert done.returncode == 2
    assert b"bad magic" in done.stderr and str(btf).encode() in done.stderr
    btf.write_bytes(sample_btf())
    done = run_irkit("memory", "isf", "--btf", btf, "--kallsyms", ks, "--banner", ver, "-o", out)
    assert done.returncode == 0, done.stderr
    assert b"schema valid" in done.stderr
