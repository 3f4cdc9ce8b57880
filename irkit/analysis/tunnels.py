"""Where a tunnel goes: destination, user, port and each forward spec, from its command line.

A responder blocks the far end of a tunnel, so the finding and the IOC must name it. ssh and
autossh are parsed option by option (OpenSSH's own option table); the other tools (chisel, frpc,
gost, bore, socat, ligolo, sshuttle, cloudflared, ngrok...) by the few shapes their command
lines take. A destination is a tunnel endpoint whatever its port: 2222 or 443 make it no pool.
"""

import re
from dataclasses import dataclass, field

from irkit.analysis.signals import is_tunnel_tool

SSH_PROGRAMS = ("ssh", "autossh", "dropbear", "dbclient")
_SSH_WITH_ARG = set("BbcDEeFIiJLlmOoPpQRSWw")
_AUTOSSH_WITH_ARG = set("M")
_FORWARD_FLAGS = {"R": "remote", "L": "local", "D": "dynamic", "w": "tun"}
_HOST_PORT = re.compile(
    r"(?:^|[/@=:])(?P<host>\[[0-9a-fA-F:]+\]|[A-Za-z0-9][A-Za-z0-9.\-]*\.[A-Za-z0-9.\-]*[A-Za-z]"
    r"|\d{1,3}(?:\.\d{1,3}){3}|localhost):(?P<port>\d{1,5})\b"
)
_FORWARD_SPEC = re.compile(r"^(?:[RL]:)?(?:[\w.\-\[\]]+:)?\d{1,5}:[\w.\-\[\]]+:\d{1,5}$")
_LOOPBACK = ("127.", "localhost", "[::1]", "0.0.0.0")
_DESTINATION_OPTIONS = ("-connect", "--to", "-s", "--server", "--server-addr", "-r", "-F")


@dataclass
class Tunnel:
    tool: str
    host: str | None = None
    port: int | None = None
    user: str | None = None
    forwards: list[str] = field(default_factory=list)
    """Each forward as written, with its flag: `-R 9000:127.0.0.1:22`, `R:9000:localhost:22`."""
    direction: str = "out"
    """reverse (a port of the far end leads here), local, dynamic (SOCKS), tun, or out."""
    proxy: str | None = None
    forward_only: bool = False
    """ssh -N: no remote command, the session exists to forward (its forwards may be in a
    config file)."""

    @property
    def endpoint(self) -> str | None:
        """`user@host:port`, the value a responder blocks or hunts for."""
        if not self.host:
            return None
        user = f"{self.user}@" if self.user else ""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{user}{host}:{self.port}" if self.port else f"{user}{host}"

    def describe(self) -> str:
        where = (
            f"to {self.endpoint}" if self.endpoint else "to a destination not on its command line"
        )
        forwards = f", forwarding {', '.join(self.forwards)}" if self.forwards else ""
        proxy = f", through ProxyCommand {self.proxy}" if self.proxy else ""
        bare = " with no remote command (-N)" if self.forward_only and not self.forwards else ""
        return f"{self.tool} tunnel ({self.direction}) {where}{forwards}{proxy}{bare}"


def _port(text: str) -> int | None:
    """A TCP port, or None: a hostile command line may hold any digits."""
    if text.isascii() and text.isdigit() and len(text) <= 5 and 0 < int(text) < 65536:
        return int(text)
    return None


def _ssh_destination(tunnel: Tunnel, target: str) -> None:
    if target.startswith("ssh://"):
        target = target[len("ssh://") :]
        target, _, port = (
            target.rpartition(":") if re.search(r":\d+$", target) else (target, "", "")
        )
        if port:
            tunnel.port = tunnel.port or _port(port)
    user, _, host = target.rpartition("@")
    tunnel.user = tunnel.user or user or None
    tunnel.host = host


def parse_ssh(argv: list[str]) -> Tunnel:
    """OpenSSH's command line: options with and without arguments, bundled (`-fNR spec`)."""
    program = argv[0].rsplit("/", 1)[-1]
    tunnel = Tunnel(program, port=None)
    with_arg = _SSH_WITH_ARG | (_AUTOSSH_WITH_ARG if program == "autossh" else set())
    directions: list[str] = []
    i = 1
    while i < len(argv):
        arg = argv[i]
        if arg == "--" or not arg.startswith("-") or len(arg) < 2:
            if arg == "--":
                i += 1
            if i < len(argv):
                _ssh_destination(tunnel, argv[i])
            break
        for j, flag in enumerate(arg[1:], start=1):
            tunnel.forward_only = tunnel.forward_only or flag == "N"
            if flag not in with_arg:
                continue
            value = arg[j + 1 :]
            if not value and i + 1 < len(argv):
                i += 1
                value = argv[i]
            _ssh_option(tunnel, flag, value, directions)
            break
        i += 1
    if directions:
        tunnel.direction = "reverse" if "remote" in directions else directions[0]
    if tunnel.host and tunnel.port is None:
        tunnel.port = 22  # ssh's default: a responder blocks host:22
    return tunnel


def _ssh_option(tunnel: Tunnel, flag: str, value: str, directions: list[str]) -> None:
    if flag in _FORWARD_FLAGS:
        tunnel.forwards.append(f"-{flag} {value}")
        directions.append(_FORWARD_FLAGS[flag])
    elif flag == "p" and _port(value):
        tunnel.port = _port(value)
    elif flag == "l":
        tunnel.user = value
    elif flag == "o":
        key, _, option = value.partition("=") if "=" in value else value.partition(" ")
        key = key.strip().lower()
        if key == "proxycommand":
            tunnel.proxy = option.strip()
        elif key == "remoteforward":
            tunnel.forwards.append(f"RemoteForward {option.strip()}")
            directions.append("remote")
        elif key == "localforward":
            tunnel.forwards.append(f"LocalForward {option.strip()}")
            directions.append("local")
        elif key == "dynamicforward":
            tunnel.forwards.append(f"DynamicForward {option.strip()}")
            directions.append("dynamic")
        elif key == "port" and _port(option.strip()):
            tunnel.port = _port(option.strip())
        elif key == "user":
            tunnel.user = option.strip()


def _is_loopback(host: str) -> bool:
    return host.startswith(_LOOPBACK)


def parse_tool(argv: list[str]) -> Tunnel:
    """chisel, frpc, gost, bore, socat, ligolo and the rest: the first remote host:port on the
    command line (an option naming the server first), and every forward-looking argument."""
    program = argv[0].rsplit("/", 1)[-1]
    tunnel = Tunnel(program)
    candidates: list[str] = []
    for i, arg in enumerate(argv[1:], start=1):
        if arg in _DESTINATION_OPTIONS and i + 1 < len(argv):
            candidates.insert(0, argv[i + 1])
        elif arg.startswith(("R:", "L:", "rtcp://", "rudp://")) or _FORWARD_SPEC.match(arg):
            tunnel.forwards.append(arg)
        else:
            candidates.append(arg)
    if program == "sshuttle" and "-r" in argv:
        remote = argv[argv.index("-r") + 1] if argv.index("-r") + 1 < len(argv) else ""
        user, _, rest = remote.rpartition("@")
        host, _, port = rest.partition(":")
        tunnel.user, tunnel.host = user or None, host or None
        tunnel.port = _port(port) or 22
    for candidate in candidates:
        if tunnel.host:
            break
        for match in _HOST_PORT.finditer(candidate):
            host = match.group("host").strip("[]")
            if not _is_loopback(host) and _port(match.group("port")):
                tunnel.host, tunnel.port = host, _port(match.group("port"))
                break
    if program == "bore" and "--to" in argv and not tunnel.host:
        index = argv.index("--to") + 1
        tunnel.host = argv[index] if index < len(argv) else None
    if any(f.startswith("R:") or f.startswith("rtcp") for f in tunnel.forwards):
        tunnel.direction = "reverse"
    return tunnel


def parse_tunnel(argv: list[str]) -> Tunnel | None:
    """The tunnel this command line opens, or None when it is none."""
    if not argv:
        return None
    program = argv[0].rsplit("/", 1)[-1]
    if program in SSH_PROGRAMS:
        tunnel = parse_ssh(argv)
        return tunnel if tunnel.forwards or tunnel.proxy or tunnel.forward_only else None
    if is_tunnel_tool(program):
        return parse_tool(argv)
    return None


def find_tunnel(words: list[str]) -> Tunnel | None:
    """The first tunnel in a shell command's words (`sleep 5; ssh -R ...` included)."""
    for i, word in enumerate(words):
        program = word.rsplit("/", 1)[-1]
        if program in SSH_PROGRAMS or is_tunnel_tool(program):
            tunnel = parse_tunnel(words[i:])
            if tunnel is not None:
                return tunnel
    return None
