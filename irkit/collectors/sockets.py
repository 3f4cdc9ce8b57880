"""Every TCP/UDP socket (IPv4 and IPv6) and listening unix socket, with its owning process.

The tables are read from procfs and each socket inode is matched to the
processes holding it through /proc/PID/fd, as `ss -p` does, without running `ss`.
A container's sockets live in its own network namespace, which the host's
/proc/net does not show: each other namespace is read once through one of its pids.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from typing import ClassVar

from irkit.collectors.base import Collector, Context
from irkit.collectors.procfs import ProcFS
from irkit.evidence.records import Record
from irkit.knowledge.pools import is_pool_port
from irkit.parsers.proclinks import link_inode
from irkit.parsers.procnet import (
    INET_TABLES,
    InetSocket,
    TableProblem,
    UnixSocket,
    parse_inet_table,
    parse_unix_table,
)


@dataclass
class SocketRecord(Record):
    kind: ClassVar[str] = "socket"
    proto: str
    local_address: str
    local_port: int | None
    remote_address: str | None
    remote_port: int | None
    state: str
    pid: int | None
    process_name: str | None
    inode: int
    flags: list[str] = field(default_factory=list)
    pids: list[int] = field(default_factory=list)
    uid: int | None = None
    netns: int | None = None
    source: str = ""


def owners_and_namespaces(
    procfs: ProcFS, pids: list[int]
) -> tuple[dict[int, list[int]], dict[int, int]]:
    """(socket inode -> pids holding it open, from the fd links; netns inode -> the first
    pid seen in it), in one pass over the processes.

    Whole paths, not `procfs.process()`: a process here is a listing and a few links (four
    for a process with three fds), where opening and closing its directory costs more than
    resolving /proc/PID for each. The pid is what a socket is attributed to, so a pid reused
    between the listing and a link still names the process that held the socket then."""
    owners: dict[int, list[int]] = defaultdict(list)
    namespaces: dict[int, int] = {}
    for pid in pids:
        for fd in procfs.listdir(pid, "fd"):
            inode = link_inode(procfs.readlink(pid, "fd", fd), "socket:")
            if inode is not None and (not owners[inode] or owners[inode][-1] != pid):
                owners[inode].append(pid)
        netns = link_inode(procfs.readlink(pid, "ns", "net"), "net:")
        if netns is not None:
            namespaces.setdefault(netns, pid)
    return owners, namespaces


def socket_key(record: SocketRecord) -> tuple[object, ...]:
    """What makes a socket one: its inode in its namespace (a namespace read through two
    pids lists it twice), or its endpoints where the table gives no inode (0: TIME_WAIT)."""
    if record.inode:
        return (record.proto, record.inode, record.netns)
    return (
        record.proto,
        record.local_address,
        record.local_port,
        record.remote_address,
        record.remote_port,
        record.netns,
    )


def process_name(procfs: ProcFS, pid: int) -> str | None:
    """/proc/PID/comm as text (host bytes kept by surrogateescape), None if unreadable."""
    comm = procfs.read(pid, "comm")
    return comm.decode("utf-8", "surrogateescape").rstrip("\n") if comm is not None else None


class SocketsCollector(Collector):
    name = "sockets"
    volatility = 10
    description = "TCP/UDP sockets (IPv4+IPv6) and listening unix sockets, with owning pids"

    def collect(self, ctx: Context) -> None:
        procfs = ProcFS(ctx)
        pids = procfs.pids()
        owners, namespaces = owners_and_namespaces(procfs, pids)
        names: dict[int, str | None] = {}
        own_ns = link_inode(procfs.readlink("self", "ns", "net"), "net:")
        tables: list[tuple[tuple[str | int, ...], int | None]] = [(("net",), own_ns)]
        tables += [((pid, "net"), ns) for ns, pid in sorted(namespaces.items()) if ns != own_ns]
        seen: set[tuple[object, ...]] = set()
        count = 0
        for prefix, netns in tables:
            for record in self._read_tables(ctx, prefix, netns):
                key = socket_key(record)
                if key in seen:
                    continue
                seen.add(key)
                holders = owners.get(record.inode, []) if record.inode else []
                if holders:
                    record.pids = holders
                    record.pid = holders[0]
                    if record.pid not in names:
                        names[record.pid] = process_name(procfs, record.pid)
                    record.process_name = names[record.pid]
                ctx.emit(record)
                count += 1
        procfs.log_unreadable()
        ctx.log("sockets", sockets=count, namespaces=len(tables), processes=len(pids))

    def _read_tables(
        self, ctx: Context, prefix: tuple[str | int, ...], netns: int | None
    ) -> list[SocketRecord]:
        """The sockets of one network namespace: each table copied into the bundle, then
        parsed; a line that does not parse is logged with its number and skipped."""
        records: list[SocketRecord] = []
        for proto in (*INET_TABLES, "unix"):
            copied = ctx.copy_proc_file(*prefix, proto)
            if copied is None:
                continue
            source = copied.record.path
            rows = (
                parse_unix_table(copied.data)
                if proto == "unix"
                else parse_inet_table(proto, copied.data)
            )
            for row in rows:
                if isinstance(row, TableProblem):
                    ctx.log("parse", "warning", row.problem, path=source, line=row.line)
                elif isinstance(row, InetSocket):
                    records.append(inet_record(row, netns, source))
                elif row.listening:
                    records.append(unix_record(row, netns, source))
        return records


def inet_record(row: InetSocket, netns: int | None, source: str) -> SocketRecord:
    """A TCP/UDP socket, its owner still unknown; a remote mining-pool port is flagged."""
    return SocketRecord(
        proto=row.proto,
        local_address=row.local_address,
        local_port=row.local_port,
        remote_address=row.remote_address,
        remote_port=row.remote_port,
        state=row.state,
        pid=None,
        process_name=None,
        inode=row.inode,
        flags=["pool-port"] if is_pool_port(row.remote_port) else [],
        uid=row.uid,
        netns=netns,
        source=source,
    )


def unix_record(row: UnixSocket, netns: int | None, source: str) -> SocketRecord:
    """A listening unix socket: its path is the local address."""
    return SocketRecord(
        proto="unix",
        local_address=row.path,
        local_port=None,
        remote_address=None,
        remote_port=None,
        state="LISTEN",
        pid=None,
        process_name=None,
        inode=row.inode,
        netns=netns,
        source=source,
    )
