"""Indicators of compromise from command lines, configs, files and memory hits.

Miners are configured in a few shapes only: stratum URLs, `-o host:port -u WALLET.WORKER -a ALGO`
options, and XMRig-style JSON (`pools: [{url, user, pass, algo, rig-id}]`). Each IOC keeps where it
was seen, so the analyst can go back to the evidence.
"""

import csv
import io
import json
import re
import shlex
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, ClassVar

from irkit.analysis.wallets import classify_wallet, find_wallets
from irkit.evidence.records import Record
from irkit.hosttext import utf8_text
from irkit.timeutil import utc_now_iso

POOL_URL = re.compile(
    r"\b((?:stratum2?|stratum1)?(?:\+(?:tcp|ssl|tls|ws|wss))?|daemon\+https?|ethproxy|nicehash)"
    r"://([A-Za-z0-9.\-_]+|\[[0-9a-fA-F:]+\]):(\d{2,5})\b"
)
_HOSTPORT = re.compile(r"^([A-Za-z0-9.\-_]+|\[[0-9a-fA-F:]+\]):(\d{2,5})$")
_URL_OPTIONS = ("-o", "--url", "--pool", "-P", "--server", "-s")
_USER_OPTIONS = ("-u", "--user", "--wallet", "-w", "--username")
_WORKER_OPTIONS = ("--rig-id", "--worker", "--rigid", "-p", "--pass", "--password")
_ALGO_OPTIONS = ("-a", "--algo", "--algorithm", "--coin")
_NOT_A_WORKER = {"x", "X", "c", "d", ""}
IOC_NAMESPACE = uuid.UUID("6f1c1f44-5b1e-4d57-9a36-0b6b4d0f3c2a")


@dataclass
class Ioc(Record):
    kind: ClassVar[str] = "ioc"
    ioc_type: str
    value: str
    context: str
    validated: bool | None = None
    detail: dict[str, Any] = field(default_factory=dict)


def _option_values(argv: list[str], names: tuple[str, ...]) -> list[str]:
    values = []
    for i, arg in enumerate(argv):
        for name in names:
            if arg == name and i + 1 < len(argv):
                values.append(argv[i + 1])
            elif name.startswith("--") and arg.startswith(name + "="):
                values.append(arg.split("=", 1)[1])
    return values


def _pool(url: str, context: str) -> list[Ioc]:
    match = POOL_URL.search(url)
    if match:
        scheme, host, port = match.groups()
        out = [Ioc("pool-url", match.group(0), context, detail={"scheme": scheme})]
    elif hp := _HOSTPORT.match(url.strip()):
        host, port = hp.groups()
        out = [Ioc("pool-url", url.strip(), context, detail={"scheme": None})]
    else:
        return []
    return [*out, Ioc("pool-host", f"{host.strip('[]')}:{port}", context)]


def _user(value: str, context: str) -> list[Ioc]:
    """`WALLET.worker`, `WALLET+worker` or `WALLET/worker`, or just a wallet or login name."""
    parts = re.split(r"[./+]", value, maxsplit=1)
    wallet_part, worker = parts[0], parts[1] if len(parts) > 1 else ""
    out: list[Ioc] = []
    wallet = classify_wallet(wallet_part)
    if wallet is not None:
        out.append(
            Ioc("wallet", wallet.address, context, wallet.validated, {"currency": wallet.currency})
        )
    elif wallet_part:
        out.append(Ioc("pool-login", wallet_part, context))
    if worker and worker not in _NOT_A_WORKER:
        out.append(Ioc("worker", worker, context))
    return out


def iocs_from_argv(argv: list[str], context: str) -> list[Ioc]:
    found: list[Ioc] = []
    for url in _option_values(argv, _URL_OPTIONS):
        found += _pool(url, context)
    joined = " ".join(argv)
    for match in POOL_URL.finditer(joined):
        found += _pool(match.group(0), context)
    for user in _option_values(argv, _USER_OPTIONS):
        found += _user(user, context)
    for worker in _option_values(argv, _WORKER_OPTIONS):
        if worker not in _NOT_A_WORKER:
            found.append(Ioc("worker", worker, context))
    for algo in _option_values(argv, _ALGO_OPTIONS):
        found.append(Ioc("algorithm", algo, context))
    for wallet in find_wallets(joined):
        found.append(
            Ioc("wallet", wallet.address, context, wallet.validated, {"currency": wallet.currency})
        )
    return dedupe(found)


def iocs_from_command(command: str, context: str) -> list[Ioc]:
    try:
        argv = shlex.split(command)
    except ValueError:
        argv = command.split()
    return iocs_from_argv(argv, context)


def _walk_pools(data: Any) -> Iterable[dict[str, Any]]:
    if isinstance(data, dict):
        if "url" in data and isinstance(data["url"], str):
            yield data
        for value in data.values():
            yield from _walk_pools(value)
    elif isinstance(data, list):
        for item in data:
            yield from _walk_pools(item)


def iocs_from_config(text: str, context: str) -> list[Ioc]:
    """XMRig-style JSON configs (bare host:port urls included), else the text's URLs and wallets."""
    found: list[Ioc] = []
    try:
        data = json.loads(text)
    except ValueError:
        data = None
    for pool in _walk_pools(data):
        found += _pool(pool["url"], context)
        if isinstance(pool.get("user"), str):
            found += _user(pool["user"], context)
        for key in ("rig-id", "pass"):
            if isinstance(pool.get(key), str) and pool[key] not in _NOT_A_WORKER:
                found.append(Ioc("worker", pool[key], context))
        for key in ("algo", "coin"):
            if isinstance(pool.get(key), str):
                found.append(Ioc("algorithm", pool[key], context))
    for match in POOL_URL.finditer(text):
        found += _pool(match.group(0), context)
    for wallet in find_wallets(text):
        found.append(
            Ioc("wallet", wallet.address, context, wallet.validated, {"currency": wallet.currency})
        )
    return dedupe(found)


def dedupe(iocs: Iterable[Ioc]) -> list[Ioc]:
    """One IOC per (type, value); the contexts it was seen in are merged."""
    merged: dict[tuple[str, str], Ioc] = {}
    for ioc in iocs:
        key = (ioc.ioc_type, ioc.value)
        known = merged.get(key)
        if known is None:
            merged[key] = Ioc(ioc.ioc_type, ioc.value, ioc.context, ioc.validated, dict(ioc.detail))
        elif ioc.context not in known.context.split("; "):
            known.context += "; " + ioc.context
    return list(merged.values())


def iocs_json(iocs: list[Ioc]) -> bytes:
    return json.dumps([i.to_dict() for i in iocs], indent=1, ensure_ascii=True).encode() + b"\n"


def iocs_csv(iocs: list[Ioc]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["type", "value", "validated", "context"])
    for ioc in iocs:
        writer.writerow([ioc.ioc_type, ioc.value, ioc.validated, ioc.context])
    return buffer.getvalue().encode("utf-8", "surrogateescape")


def _stix_pattern(ioc: Ioc) -> str | None:
    value = ioc.value.replace("\\", "\\\\").replace("'", "\\'")
    if ioc.ioc_type == "pool-url":
        return f"[url:value = '{value}']"
    if ioc.ioc_type == "pool-host":
        host = value.rsplit(":", 1)[0]
        if re.fullmatch(r"[\d.]+", host):
            return f"[ipv4-addr:value = '{host}']"
        if ":" in host:
            return f"[ipv6-addr:value = '{host}']"
        return f"[domain-name:value = '{host}']"
    if ioc.ioc_type == "sha256":
        return f"[file:hashes.'SHA-256' = '{value}']"
    if ioc.ioc_type == "path":
        return f"[file:name = '{value.rsplit('/', 1)[-1]}']"
    if ioc.ioc_type == "wallet":
        return f"[x-cryptocurrency-wallet:address = '{value}']"
    return None


def _stix_id(ioc: Ioc) -> uuid.UUID:
    """Stable per IOC; uuid5 encodes strictly, and a path IOC may hold any host byte."""
    return uuid.uuid5(IOC_NAMESPACE, utf8_text(f"{ioc.ioc_type}:{ioc.value}"))


def iocs_stix(iocs: list[Ioc], *, host: str | None = None) -> bytes:
    """A STIX 2.1 bundle: an indicator per observable IOC, and one note for the rest
    (workers, algorithms, logins), which STIX has no observable type for."""
    now = utc_now_iso()
    seen_on = f" on {host}" if host else ""
    objects: list[dict[str, Any]] = []
    others: list[str] = []
    for ioc in iocs:
        pattern = _stix_pattern(ioc)
        if pattern is None:
            others.append(f"{ioc.ioc_type}: {ioc.value} (seen in {ioc.context})")
            continue
        objects.append(
            {
                "type": "indicator",
                "spec_version": "2.1",
                "id": f"indicator--{_stix_id(ioc)}",
                "created": now,
                "modified": now,
                "name": f"{ioc.ioc_type} {ioc.value}",
                "description": f"Seen in {ioc.context}{seen_on}",
                "indicator_types": ["malicious-activity"],
                "pattern": pattern,
                "pattern_type": "stix",
                "valid_from": now,
                "labels": ["cryptomining", ioc.ioc_type],
            }
        )
    if others and objects:
        objects.append(
            {
                "type": "note",
                "spec_version": "2.1",
                "id": f"note--{uuid.uuid4()}",
                "created": now,
                "modified": now,
                "abstract": f"Mining details{seen_on}",
                "content": "\n".join(others),
                "object_refs": [o["id"] for o in objects],
            }
        )
    bundle = {"type": "bundle", "id": f"bundle--{uuid.uuid4()}", "objects": objects}
    return json.dumps(bundle, indent=1, ensure_ascii=True).encode() + b"\n"
