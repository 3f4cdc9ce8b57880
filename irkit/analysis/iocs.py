"""Indicators of compromise from command lines, configs, files and memory hits.

Miners are configured in a few shapes only: stratum URLs, `-o host:port -u WALLET.WORKER -a ALGO`
options, and XMRig-style JSON (`pools: [{url, user, pass, algo, rig-id}]`). Each IOC keeps where it
was seen (`source`: cmdline, socket, persistence, config, log, memory, file; `context` in words)
and the finding it belongs to, so the analyst can go back to the evidence. `keep` drops what is
not evidence (irkit.knowledge.notindicators): placeholders always, a miner's own hosts and
documentation addresses unless seen in live use.
"""

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, ClassVar

from irkit.analysis.wallets import classify_wallet, find_wallets
from irkit.analysis.words import command_words
from irkit.evidence.records import Record
from irkit.knowledge.notindicators import LIVE_SOURCES, is_placeholder, is_static_noise

POOL_URL = re.compile(
    r"\b((?:stratum2?|stratum1)?(?:\+(?:tcps?|ssl|tls|wss?))?|daemon\+https?|ethproxy|nicehash)"
    r"://([A-Za-z0-9.\-_]+|\[[0-9a-fA-F:]+\]):(\d{2,5})\b"
)
_HOSTPORT = re.compile(r"^([A-Za-z0-9.\-_]+|\[[0-9a-fA-F:]+\]):(\d{2,5})$")
_URL_OPTIONS = ("-o", "--url", "--pool", "-P", "--server", "-s", "--dualpool")
_USER_OPTIONS = ("-u", "--user", "--wallet", "-w", "--username", "--dualuser")
_WORKER_OPTIONS = ("--rig-id", "--worker", "--rigid", "-p", "--pass", "--password")
_ALGO_OPTIONS = ("-a", "--algo", "--algorithm", "--coin")
DOWNLOAD_URL = re.compile(
    r"\b(?:https?|ftp|tftp)://([A-Za-z0-9.\-_]+|\[[0-9a-fA-F:]+\])(?::\d{1,5})?[^\s'\"|;&<>()`]*"
)


@dataclass
class Ioc(Record):
    kind: ClassVar[str] = "ioc"
    ioc_type: str
    value: str
    context: str
    validated: bool | None = None
    detail: dict[str, Any] = field(default_factory=dict)
    source: str = ""
    """What kind of place it came from: cmdline, socket, persistence, config, log, memory, file."""
    finding: str | None = None
    """The title of the finding it belongs to."""


def option_values(argv: list[str], names: tuple[str, ...]) -> list[str]:
    """Each value of the options `names` (`-o X`, `--url X`, `--url=X`; no name holds `=`).
    One look-up per word, not one comparison per word and name: every persistence entry's
    command goes through here five times."""
    values = []
    for i, arg in enumerate(argv):
        if arg in names:
            if i + 1 < len(argv):
                values.append(argv[i + 1])
        elif arg.startswith("--") and "=" in arg:
            name, _, value = arg.partition("=")
            if name in names:
                values.append(value)
    return values


def _pool(url: str, context: str, source: str) -> list[Ioc]:
    match = POOL_URL.search(url)
    if match:
        scheme, host, port = match.groups()
        value = match.group(0)
    elif hp := _HOSTPORT.match(url.strip()):
        (host, port), scheme, value = hp.groups(), None, url.strip()
    else:
        return []
    host = host.strip("[]")
    detail = {"scheme": scheme, "host": host, "port": int(port)}
    return [
        Ioc("pool-url", value, context, detail=detail, source=source),
        Ioc("pool-host", f"{host}:{port}", context, detail={"host": host, "port": int(port)},
            source=source),
    ]  # fmt: skip


def _wallet(address: str, context: str, source: str) -> Ioc | None:
    wallet = classify_wallet(address)
    if wallet is None:
        return None
    return Ioc("wallet", wallet.address, context, wallet.validated,
               {"currency": wallet.currency}, source)  # fmt: skip


_COIN_PREFIX = re.compile(r"^[A-Za-z][A-Za-z0-9]{1,9}:(?=\w)")
"""T-Rex, lolMiner and unMineable users name the coin first: `RVN:address.worker`."""


def _user(value: str, context: str, source: str) -> list[Ioc]:
    """`WALLET.worker`, `WALLET+worker` or `WALLET/worker`, or just a wallet or login name;
    a `COIN:` before the wallet is dropped when the rest is a wallet (`kaspa:q...` is one)."""
    parts = re.split(r"[./+]", value, maxsplit=1)
    wallet_part, worker = parts[0], parts[1] if len(parts) > 1 else ""
    wallet = _wallet(wallet_part, context, source)
    if wallet is None and _COIN_PREFIX.match(wallet_part):
        wallet = _wallet(_COIN_PREFIX.sub("", wallet_part), context, source)
    out = [wallet or Ioc("pool-login", wallet_part, context, source=source)]
    if worker:
        out.append(Ioc("worker", worker, context, source=source))
    return out


_OPTION_KINDS = {
    name: kind
    for kind, names in (("port", ("--port",)), ("url", _URL_OPTIONS), ("user", _USER_OPTIONS),
                        ("worker", _WORKER_OPTIONS), ("algo", _ALGO_OPTIONS))
    for name in names
}  # fmt: skip
"""Each miner option by what it gives (no name is in two groups)."""


def miner_options(argv: list[str]) -> dict[str, list[str]]:
    """`option_values` of each group of `_OPTION_KINDS` (port, url, user, worker, algo), in one
    pass over the words: an option belongs to one group only, so each group's values are
    those `option_values` gives for it (five passes did the same work per command)."""
    values: dict[str, list[str]] = {"port": [], "url": [], "user": [], "worker": [], "algo": []}
    for i, arg in enumerate(argv):
        kind = _OPTION_KINDS.get(arg)
        if kind is not None:
            if i + 1 < len(argv):
                values[kind].append(argv[i + 1])
        elif arg.startswith("--") and "=" in arg:
            name, _, value = arg.partition("=")
            if (kind := _OPTION_KINDS.get(name)) is not None:
                values[kind].append(value)
    return values


def iocs_from_argv(argv: list[str], context: str, source: str = "cmdline") -> list[Ioc]:
    found: list[Ioc] = []
    options = miner_options(argv)
    ports = [p for p in options["port"] if p.isdigit() and len(p) <= 5]
    for url in options["url"]:
        if ports and not _HOSTPORT.match(url) and _HOSTPORT.match(f"{url}:{ports[0]}"):
            url = f"{url}:{ports[0]}"  # gminer: --server host --port N
        found += _pool(url, context, source)
    joined = " ".join(argv)
    if "://" in joined:  # POOL_URL needs it; a search for it is a fifth of the pattern's
        for match in POOL_URL.finditer(joined):
            found += _pool(match.group(0), context, source)
    for user in options["user"]:
        found += _user(user, context, source)
    for worker in options["worker"]:
        found.append(Ioc("worker", worker, context, source=source))
    for algo in options["algo"]:
        found.append(Ioc("algorithm", algo, context, source=source))
    found += _text_wallets(joined, context, source)
    return keep(found)


def _text_wallets(text: str, context: str, source: str) -> list[Ioc]:
    return [
        Ioc("wallet", w.address, context, w.validated, {"currency": w.currency}, source)
        for w in find_wallets(text)
    ]


def iocs_from_command(command: str, context: str, source: str = "cmdline") -> list[Ioc]:
    return iocs_from_argv(list(command_words(command)), context, source)


def download_iocs(command: str, context: str, source: str = "persistence") -> list[Ioc]:
    """Each URL a command fetches, and its host (an address stays an address: irkit resolves
    no names on a suspect host)."""
    found: list[Ioc] = []
    if "://" not in command:  # DOWNLOAD_URL needs it
        return found
    for match in DOWNLOAD_URL.finditer(command):
        host = match.group(1).strip("[]")
        found.append(Ioc("download-url", match.group(0), context, detail={"host": host},
                         source=source))  # fmt: skip
        found.append(Ioc("download-host", host, context, source=source))
    return keep(found)


_JSON_KEY = re.compile(
    r'"(url|pool|user|wallet|pass|rig-id|worker|algo|algorithm|coin)"\s*:\s*"([^"\n]{1,512})"'
)
_POOL_KEYS = ("url", "pool")
_USER_KEYS = ("user", "wallet", "username", "login")
_WORKER_KEYS = ("rig-id", "rig_id", "rigname", "worker", "pass", "password")
_ALGO_KEYS = ("algo", "algorithm", "coin")
MAX_CONFIG_POOLS = 64
"""Pools read from one config; a hostile file of a million pools costs no more than this."""
MAX_POOL_VALUES = 8
"""Values read from one key of a pool (bzminer lists `url` and `wallet`)."""


def _json_fragments(text: str) -> list[dict[str, Any]]:
    """Pools from JSON that does not parse (a window of memory, a cut file): each `"url"` or
    `"pool"` key starts a pool, the keys after it belong to it."""
    pools: list[dict[str, Any]] = []
    for key, value in _JSON_KEY.findall(text):
        if key in _POOL_KEYS:
            pools.append({key: value})
        elif pools:
            pools[-1].setdefault(key, value)
    return pools


def _strings(value: Any) -> list[str]:
    """A key's value as strings: one string, or the strings of a list (bzminer's `url: [...]`)."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [v for v in value[:MAX_POOL_VALUES] if isinstance(v, str)]
    return []


def _lower_keys(data: dict[Any, Any]) -> dict[str, Any]:
    return {k.lower(): v for k, v in data.items() if isinstance(k, str)}


def _walk_pools(data: Any, depth: int = 0) -> Iterable[dict[str, Any]]:
    """Every object with a pool address (`url` in XMRig and T-Rex, `pool` in SRBMiner, `url`
    lists in bzminer's `pool_configs`), keys lower-cased."""
    if depth > 64:
        return
    if isinstance(data, dict):
        keys = _lower_keys(data)
        if any(_strings(keys.get(k)) for k in _POOL_KEYS):
            yield keys
        for value in data.values():
            yield from _walk_pools(value, depth + 1)
    elif isinstance(data, list):
        for item in data:
            yield from _walk_pools(item, depth + 1)


_INI_LINE = re.compile(r"^\s*([A-Za-z][\w.-]{0,63})\s*=\s*\"?([^\"\r\n]{0,512}?)\"?\s*$")
_INI_SECTION = re.compile(r"^\s*\[([^\]\r\n]{1,64})\]\s*$")
_INI_POOL_KEY = re.compile(r"^(pool|url)\d*$")


def _ini_pools(text: str) -> list[dict[str, Any]]:
    """Pools of an INI config (nanominer's `config.ini`: a section per algorithm holding
    `wallet`, `rigName` and `pool1`...`poolN`); keys before any section form their own."""
    sections: list[dict[str, Any]] = [{}]
    for line in text.splitlines()[:100_000]:
        if header := _INI_SECTION.match(line):
            sections.append({"_section": header.group(1).strip()})
        elif pair := _INI_LINE.match(line):
            key, value = pair.group(1).lower(), pair.group(2).strip()
            if _INI_POOL_KEY.match(key):
                sections[-1].setdefault("url", []).append(value)
            else:
                sections[-1].setdefault(key, value)
    pools = []
    for section in sections:
        if not section.get("url"):
            continue
        name = section.pop("_section", "")
        if name and name.lower() not in ("common", "general", "global") and "algo" not in section:
            section["algo"] = name
        pools.append(section)
    return pools


def _pool_iocs(pool: dict[str, Any], context: str, source: str) -> list[Ioc]:
    """Pool, wallet or login, worker and algorithm of one pool object (keys lower-cased)."""
    found: list[Ioc] = []
    for key in _POOL_KEYS:
        for url in _strings(pool.get(key)):
            found += _pool(url, context, source)
    for key in _USER_KEYS:
        for user in _strings(pool.get(key)):
            found += _user(user, context, source)
    for key in _WORKER_KEYS:
        found += [Ioc("worker", w, context, source=source) for w in _strings(pool.get(key))]
    for key in _ALGO_KEYS:
        found += [Ioc("algorithm", a, context, source=source) for a in _strings(pool.get(key))]
    return found


def iocs_from_config(text: str, context: str, source: str = "config") -> list[Ioc]:
    """Miner configs: JSON in the shapes of XMRig, T-Rex, SRBMiner, bzminer (bare host:port
    urls included), INI in nanominer's; else the text's URLs and wallets."""
    found: list[Ioc] = []
    try:
        data = json.loads(text)
    except ValueError:
        data = _json_fragments(text) or _ini_pools(text)
    except RecursionError:
        data = None
    top = _lower_keys(data) if isinstance(data, dict) else {}
    for pool in list(_walk_pools(data))[:MAX_CONFIG_POOLS]:
        if not any(k in pool for k in _ALGO_KEYS):
            pool = {**pool, **{k: top[k] for k in _ALGO_KEYS if k in top}}  # T-Rex: algo on top
        found += _pool_iocs(pool, context, source)
    for match in POOL_URL.finditer(text):
        found += _pool(match.group(0), context, source)
    found += _text_wallets(text, context, source)
    return keep(found)


_VALUE_TYPES = ("wallet", "pool-login", "worker", "algorithm")
_HOST_TYPES = ("pool-url", "pool-host", "download-url", "download-host", "tunnel-endpoint", "c2")


def is_evidence(ioc: Ioc) -> bool:
    """False for a placeholder, and for a miner's own or a documentation host seen only in
    static text (docs/iocs.md, "What is not an IOC")."""
    if ioc.ioc_type in _VALUE_TYPES:
        return not is_placeholder(ioc.value)
    if ioc.ioc_type in _HOST_TYPES and ioc.source not in LIVE_SOURCES:
        host = ioc.detail.get("host") or ioc.value.rsplit(":", 1)[0]
        return not is_static_noise(str(host))
    return True


def keep(iocs: Iterable[Ioc]) -> list[Ioc]:
    """The evidence among `iocs`, one per (type, value)."""
    return dedupe(i for i in iocs if is_evidence(i))


def dedupe(iocs: Iterable[Ioc]) -> list[Ioc]:
    """One IOC per (type, value); the contexts it was seen in are merged."""
    merged: dict[tuple[str, str], Ioc] = {}
    for ioc in iocs:
        key = (ioc.ioc_type, ioc.value)
        known = merged.get(key)
        if known is None:
            merged[key] = Ioc(
                ioc.ioc_type, ioc.value, ioc.context, ioc.validated, dict(ioc.detail),
                ioc.source, ioc.finding,
            )  # fmt: skip
        else:
            if ioc.context not in known.context.split("; "):
                known.context += "; " + ioc.context
            known.source = known.source or ioc.source
            known.finding = known.finding or ioc.finding
    return list(merged.values())
