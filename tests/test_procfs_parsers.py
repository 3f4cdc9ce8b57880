"""The procfs field parsers made faster for the snapshot give what the ones before gave, on
random input: found-not-split status and environ values, the CPU sample's three numbers of
/proc/PID/stat, and namespace inodes and cgroups remembered by their text."""

import tempfile
from pathlib import Path

from hypothesis import example, given
from hypothesis import strategies as st

from irkit.collectors.processes import (
    _status_number,
    container_fields,
    cpu_sample,
    environ_value,
    parse_stat,
    status_ids,
)
from irkit.collectors.procfs import ProcFS
from irkit.lossless import decode_host
from irkit.parsers.cgroup import cgroup_path, container_of
from irkit.parsers.lines import decimal
from irkit.parsers.proclinks import link_inode
from tests.hostile.confine_helpers import host_context
from tests.hostile.fuzzing import fuzz_settings


def environ_reference(data: bytes, name: str) -> str | None:
    """environ_value before: every variable split out, the first that starts with NAME=."""
    prefix = name.encode() + b"="
    for item in data.split(b"\0"):
        if item.startswith(prefix):
            return decode_host(item[len(prefix) :])
    return None


def status_reference(data: bytes, key: bytes) -> int | None:
    """_status_number before (its own search for the line)."""
    tag = key + b":"
    start = 0 if data.startswith(tag) else data.find(b"\n" + tag) + 1
    if start == 0 and not data.startswith(tag):
        return None
    end = data.find(b"\n", start)
    fields = data[start + len(tag) : end if end >= 0 else len(data)].split()
    return decimal(fields[0]) if fields else None


pieces = st.sampled_from([b"LD_PRELOAD", b"=", b"\0", b"\n", b"Uid:", b"Tgid:", b"\t", b"42", b"x"])
host_bytes = st.lists(pieces | st.binary(max_size=6), max_size=12).map(b"".join)


@fuzz_settings(500)
@given(host_bytes)
@example(b"LD_PRELOAD=/a\0LD_PRELOAD=/b")
@example(b"X=1\0LD_PRELOAD=\0")
@example(b"XLD_PRELOAD=/a\0LD_PRELOAD")
def test_environ_value_is_the_first_variable_of_that_name(data: bytes) -> None:
    assert environ_value(data, "LD_PRELOAD") == environ_reference(data, "LD_PRELOAD")


@fuzz_settings(500)
@given(host_bytes, st.sampled_from([b"Uid", b"Gid", b"Tgid"]))
@example(b"Name:\tx\nUid:\t0\t0\nUid:\t5", b"Uid")
@example(b"XUid:\t1\nUid:", b"Uid")
def test_status_numbers_are_found_as_before(data: bytes, key: bytes) -> None:
    assert _status_number(data, key) == status_reference(data, key)


def test_status_ids_of_a_real_status_layout() -> None:
    status = (
        b"Name:\tsleep\nUmask:\t0022\nTgid:\t77\nPid:\t77\nUid:\t1001\t1001\t0\t0\nGid:\t5\t5\n"
    )
    assert status_ids(status) == (1001, 5, 77)


stat_names = st.text(alphabet=st.sampled_from(list("ab )(\n")), max_size=8)
counters = st.integers(min_value=0, max_value=2**64 - 1).map(str)
not_counters = st.sampled_from(["-1", "1x", "9" * 21, str(2**64), "\u0663", ")"])


@fuzz_settings(300)
@given(
    stat_names,
    st.lists(counters, min_size=21, max_size=23),
    st.none() | st.tuples(st.integers(0, 22), not_counters),
    st.integers(0, 30),
)
@example("a) (b", ["7"] * 21, None, 0)
def test_cpu_sample_reads_what_parse_stat_reads(
    name: str, fields: list[str], bad: tuple[int, str] | None, cut: int
) -> None:
    """Any stat parse_stat reads (a name with ')' in it, a field that is not a counter
    somewhere, the end cut off), the sample reads the same two numbers from."""
    if bad is not None and bad[0] < len(fields):
        fields[bad[0]] = bad[1]
    data = f"9 ({name}) S {' '.join(fields)}\n".encode()
    for text in (data, data[: len(data) - cut]):
        try:
            expected = parse_stat(text)
        except (ValueError, IndexError):
            continue
        assert cpu_sample(text) == (expected.cpu_ticks, expected.start_ticks)


link_texts = st.sampled_from(
    ["net:[4026531840]", "mnt:[7]", "net:[]", "x[1]", "[9" + "9" * 25 + "]"]
)


@fuzz_settings(100)
@given(
    st.lists(
        st.lists(
            link_texts | st.text(alphabet="ab:[]0123456789", max_size=12), min_size=2, max_size=2
        ),
        min_size=1,
        max_size=4,
    )
)
def test_namespace_inodes_remembered_by_link_text_are_what_the_parser_gives(
    processes: list[list[str]],
) -> None:
    """`ProcessDir.link_inodes` remembers each link text's inode across processes: the same
    as parsing every link, in a procfs copy whose links say anything (the same text in
    several processes, malformed ones, numbers past 64 bits)."""
    with tempfile.TemporaryDirectory() as tmp:
        proc = Path(tmp) / "proc"
        for pid, texts in enumerate(processes, start=1):
            (proc / str(pid) / "ns").mkdir(parents=True)
            for name, text in zip(("net", "mnt"), texts, strict=True):
                if text:
                    (proc / str(pid) / "ns" / name).symlink_to(text)
        with host_context(Path(tmp) / "b.zip", root=Path(tmp), proc=proc) as ctx:
            procfs = ProcFS(ctx)
            for _ in range(2):  # the second time, every text is a remembered one
                for pid, texts in enumerate(processes, start=1):
                    with procfs.process(pid) as dirs:
                        found = dirs.link_inodes((("net", "ns/net"), ("mnt", "ns/mnt")))
                    expected = {
                        name: link_inode(text)
                        for name, text in zip(("net", "mnt"), texts, strict=True)
                        if text and link_inode(text) is not None
                    }
                    assert found == expected


cgroup_lines = st.sampled_from(
    [
        b"0::/init.scope",
        b"0::/system.slice/docker-" + b"4f" * 32 + b".scope",
        b"12:pids:/kubepods/pod0a1b2c3d-0000-1111-2222-333344445555/" + b"ab" * 32,
        b"1:name=systemd:/user.slice",
        b"garbage",
        b"",
    ]
)


@fuzz_settings(300)
@given(st.lists(cgroup_lines, max_size=4), st.booleans())
def test_remembered_cgroups_say_what_the_parsers_say(lines: list[bytes], large: bool) -> None:
    """`container_fields` remembers small cgroup files and parses large ones each time: both
    give what `cgroup_path` and `container_of` give."""
    data = b"\n".join(lines) + (b"\n" + b"9:cpu:/x" * 600 if large else b"")
    path = cgroup_path(decode_host(data))
    ref = container_of(path)
    for _ in range(2):
        assert container_fields(data) == (path, ref.container_id, ref.runtime, ref.pod_uid)
