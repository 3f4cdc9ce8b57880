"""What a miner, a dropper and a tunnel look like from the outside: names and command shapes.

Kept apart from the heuristics so rules of thumb can be reviewed (and extended) in one place.
"""

import ipaddress
import re

from irkit.knowledge.miners import names_a_miner

MINER_OPTIONS = re.compile(
    r"(--donate-level|--randomx|--cpu-max-threads-hint|--coin[ =]|--algo[ =]|-a (?:rx/|cn/|kawpow"
    r"|ethash|etchash|autolykos|octopus|kheavyhash)|--nicehash|--tls-fingerprint|--rig-id)"
)
FETCH_AND_RUN = re.compile(
    r"(?i)((curl|wget|fetch|tftp)\b[^|;&\n]*\|\s*(sudo\s+)?(ba|da|z|k)?sh\b"
    r"|(curl|wget)\b[^;&\n]*(-O-|-O -|-qO-|-o-)\s*[^;&\n]*\|\s*(ba|da|z)?sh"
    r"|base64\s+(-d|--decode)[^|;&\n]*\|\s*(ba|da|z)?sh"
    r"|(curl|wget)\b[^;\n]*(&&|;)\s*chmod\s+\+x)"
)
INTERPRETERS = re.compile(
    r"^(python[\d.]*|node|nodejs|deno|bun|perl|ruby|php[\d.]*|(ba|da|z|k)?sh)$"
)
"""Programs whose `-c` is code, not a config, and whose script is what they run."""
TUNNEL_TOOLS = re.compile(
    r"(?i)^(autossh|frpc|frps|chisel|ngrok|gost|bore|rathole|inlets|cloudflared|socat|iodine"
    r"|dns2tcp|ligolo(?:-ng)?|pivotnacci|revsocks|sshuttle)$"
)

TUNNEL_TOOL_NAMES = frozenset(
    {"autossh", "frpc", "frps", "chisel", "ngrok", "gost", "bore", "rathole", "inlets",
     "cloudflared", "socat", "iodine", "dns2tcp", "ligolo", "ligolo-ng", "pivotnacci", "revsocks",
     "sshuttle"}
)  # fmt: skip
"""The names TUNNEL_TOOLS matches, lower-case (`tests/test_miner_names.py` holds them equal)."""


def is_tunnel_tool(program: str) -> bool:
    """`TUNNEL_TOOLS.match(program)`: a set look-up for an ASCII name (every word of every
    persistence command is asked), the pattern for any other (Unicode case folding). `$`
    matches before one last newline, so one is dropped."""
    if program.isascii():
        return program.lower().removesuffix("\n") in TUNNEL_TOOL_NAMES
    return bool(TUNNEL_TOOLS.match(program))


def is_private_address(address: str) -> bool:
    """Internal ranges an agent or worm probes; loopback is excluded (it is this host)."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    if ip.is_loopback or ip.is_unspecified:
        return False
    return ip.is_private or ip in ipaddress.ip_network("100.64.0.0/10")


OPTION_PARTS = ("--donate-level", "--randomx", "--cpu-max-threads-hint", "--coin", "--algo",
                "-a", "--nicehash", "--tls-fingerprint", "--rig-id")  # fmt: skip
"""Each MINER_OPTIONS match holds one of these, spaces aside (`-a rx/0` holds `-a`)."""


def command_starts_miner(command: str) -> bool:
    return names_a_miner(command) or bool(MINER_OPTIONS.search(command))


FETCH_PARTS = ("curl", "wget", "fetch", "tftp", "base64")
"""One of these is in every FETCH_AND_RUN match (`tests/test_miner_names.py` checks it)."""


def command_fetches_and_runs(command: str) -> bool:
    """FETCH_AND_RUN, after a cheaper test that ASCII text holds one of FETCH_PARTS (most
    commands hold none; non-ASCII text may match by Unicode case folding, so it goes to the
    pattern)."""
    if command.isascii():
        lower = command.lower()
        if not any(part in lower for part in FETCH_PARTS):
            return False
    return bool(FETCH_AND_RUN.search(command))
