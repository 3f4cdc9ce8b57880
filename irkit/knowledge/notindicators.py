"""Values that look like indicators but are not: a miner's own help-text examples and donation
hosts, config placeholders, and documentation addresses.

Every XMRig binary carries `donate.v2.xmrig.com:3333` and its help text; every stock config
carries `YOUR_WALLET_ADDRESS`. Pushed to a firewall they block nothing an attacker uses and
bury what matters. Placeholders are never indicators. Vendor hosts and documentation addresses
(RFC 5737, RFC 3849, RFC 2606) are dropped only when seen in static text (a binary's strings,
a file, memory); seen in live use (a command line, a socket, a cron line, the config a running
miner was started with) they are what the host did, and stay.
"""

import ipaddress

PLACEHOLDERS: frozenset[str] = frozenset(
    v.lower()
    for v in (
        "YOUR_WALLET_ADDRESS", "YOUR_WALLET", "WALLET_ADDRESS", "YOUR_ADDRESS", "YOUR_XMR_ADDRESS",
        "YOUR_USERNAME", "YOUR_WORKER", "YOUR_WORKER_NAME", "YOUR_PASSWORD", "WORKER_NAME",
        "x", "c", "d", "worker", "worker1", "worker01", "rig", "rig1", "rig-id", "password",
        "null", "none", "", "example", "username", "user",
    )
)  # fmt: skip
"""Compared case-insensitively with a wallet, login, worker or password value."""

MINER_VENDOR_DOMAINS: tuple[str, ...] = ("xmrig.com", "xmrig.net")
"""Donation pools and help-text examples of the miners themselves (and their subdomains)."""

DOCUMENTATION_DOMAINS: tuple[str, ...] = ("example.com", "example.net", "example.org")
DOCUMENTATION_SUFFIXES: tuple[str, ...] = (".example", ".invalid", ".test", ".localhost")
DOCUMENTATION_NETWORKS = tuple(
    ipaddress.ip_network(n)
    for n in ("192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24", "2001:db8::/32")
)

LIVE_SOURCES: frozenset[str] = frozenset({"cmdline", "socket", "persistence", "config", "log"})
"""Where a value shows what the host did, not what a file happens to contain."""


def is_placeholder(value: str) -> bool:
    return value.strip().lower() in PLACEHOLDERS


def _under(host: str, domains: tuple[str, ...]) -> bool:
    return any(host == d or host.endswith("." + d) for d in domains)


def is_documentation_host(host: str) -> bool:
    """A host name or address reserved for documentation and examples."""
    host = host.strip("[]").lower().rstrip(".")
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return _under(host, DOCUMENTATION_DOMAINS) or host.endswith(DOCUMENTATION_SUFFIXES)
    return any(address in network for network in DOCUMENTATION_NETWORKS)


def is_vendor_host(host: str) -> bool:
    return _under(host.strip("[]").lower().rstrip("."), MINER_VENDOR_DOMAINS)


def is_static_noise(host: str) -> bool:
    """A host that, seen only in static text, is an example or a miner's own, not evidence."""
    return is_vendor_host(host) or is_documentation_host(host)
