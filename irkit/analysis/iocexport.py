"""IOCs as files other tools import: iocs.json, iocs.csv and a STIX 2.1 bundle.

The STIX bundle passes `stix2-validator --strict` and converts with misp-stix into a MISP event
that keeps every observable (docs/iocs.md): only STIX's own observable types in patterns (a
wallet, worker or pool login is the pool account it is: `user-account:account_login`), full paths
(`file:parent_directory_ref.path`, never a bare name), and ids that are deterministic yet UUIDv4
as the specification asks of SDOs: the same IOC gets the same indicator id in every export.
"""

import csv
import hashlib
import io
import ipaddress
import json
import uuid
from typing import Any

from irkit.analysis.iocs import Ioc
from irkit.lossless import utf8_text
from irkit.timeutil import utc_now_iso

CSV_COLUMNS = (
    "type", "value", "host", "port", "validated", "source", "finding", "context", "seen_on",
)  # fmt: skip
"""`host` is the IOC's own network host (a pool's, a tunnel's far end); `seen_on` is the host it
was collected from."""
_ACCOUNT_TYPES = ("wallet", "pool-login", "worker")
_NETWORK_TYPES = ("pool-host", "c2", "tunnel-endpoint")


def iocs_json(iocs: list[Ioc], *, host: str | None) -> bytes:
    """The IOC records, each with the `host` it was collected from (as `review --json` and the
    timeline name it), so a list merged from several hosts still says where each came from."""
    rows = [{**i.to_dict(), "host": host} for i in iocs]
    return json.dumps(rows, indent=1, ensure_ascii=True).encode() + b"\n"


def iocs_csv(iocs: list[Ioc], *, host: str | None) -> bytes:
    """One row per IOC; `port` is an integer (or empty), `validated` true/false/empty, and
    `seen_on` the host it was collected from (`host` being the IOC's own network host)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    for ioc in iocs:
        port = ioc.detail.get("port")
        validated = "" if ioc.validated is None else str(ioc.validated).lower()
        writer.writerow([
            ioc.ioc_type, ioc.value, ioc.detail.get("host") or "",
            port if isinstance(port, int) and not isinstance(port, bool) else "",
            validated, ioc.source, ioc.finding or "", ioc.context, host or "",
        ])  # fmt: skip
    return buffer.getvalue().encode("utf-8", "surrogateescape")


def _quote(value: object) -> str:
    return "'" + utf8_text(str(value)).replace("\\", "\\\\").replace("'", "\\'") + "'"


def _address_type(host: str) -> str:
    try:
        return f"ipv{ipaddress.ip_address(host).version}-addr"
    except ValueError:
        return "domain-name"


def _host_comparison(host: str) -> str:
    return f"{_address_type(host)}:value = {_quote(host)}"


def _stix_pattern(ioc: Ioc) -> str | None:
    """The pattern for one IOC, over STIX 2.1 observable types only; None when none fits."""
    host, port = ioc.detail.get("host"), ioc.detail.get("port")
    if ioc.ioc_type in ("pool-url", "download-url"):
        return f"[url:value = {_quote(ioc.value)}]"
    if ioc.ioc_type in _NETWORK_TYPES and isinstance(host, str) and host:
        kind = _address_type(host)
        dst = f"network-traffic:dst_ref.type = '{kind}' AND network-traffic:dst_ref.value = "
        dst += _quote(host)
        if isinstance(port, int) and not isinstance(port, bool):
            dst += f" AND network-traffic:dst_port = {port}"
        return f"[{dst}]"
    if ioc.ioc_type == "download-host":
        return f"[{_host_comparison(ioc.value)}]"
    if ioc.ioc_type == "file" and ioc.value.startswith("/"):
        directory, _, name = ioc.value.rpartition("/")
        parts = [f"file:name = {_quote(name)}",
                 f"file:parent_directory_ref.path = {_quote(directory or '/')}"]  # fmt: skip
        sha256 = ioc.detail.get("sha256")
        if isinstance(sha256, str) and len(sha256) == 64:
            parts.insert(0, f"file:hashes.'SHA-256' = {_quote(sha256)}")
        return "[" + " AND ".join(parts) + "]"
    if ioc.ioc_type in _ACCOUNT_TYPES:
        return f"[user-account:account_login = {_quote(ioc.value)}]"
    return None


def stix_id(kind: str, key: str) -> str:
    """`kind--UUID`: deterministic (a hash of `key`) and shaped as the UUIDv4 that the
    specification requires of SDOs; a value may hold any host byte, so it is made UTF-8."""
    digest = hashlib.sha256(utf8_text(key).encode()).digest()
    return f"{kind}--{uuid.UUID(bytes=digest[:16], version=4)}"


def _description(ioc: Ioc, seen_on: str) -> str:
    finding = f"; finding: {ioc.finding}" if ioc.finding else ""
    return utf8_text(f"{ioc.ioc_type} seen in {ioc.context}{seen_on}{finding}")


def _indicator(ioc: Ioc, pattern: str, now: str, seen_on: str) -> dict[str, Any]:
    return {
        "type": "indicator",
        "spec_version": "2.1",
        "id": stix_id("indicator", f"{ioc.ioc_type}:{ioc.value}"),
        "created": now,
        "modified": now,
        "name": utf8_text(f"{ioc.ioc_type} {ioc.value}"),
        "description": _description(ioc, seen_on),
        "indicator_types": ["malicious-activity"],
        "pattern": pattern,
        "pattern_type": "stix",
        "pattern_version": "2.1",
        "valid_from": now,
        "labels": ["cryptomining", ioc.ioc_type],
    }


def _note(content: str, refs: list[str], now: str, seen_on: str) -> dict[str, Any]:
    """What STIX has no observable type for (algorithms), about the indicators `refs`."""
    return {
        "type": "note",
        "spec_version": "2.1",
        "id": stix_id("note", content),
        "created": now,
        "modified": now,
        "abstract": f"Mining details{seen_on}",
        "content": content,
        "object_refs": refs,
    }


def iocs_stix(iocs: list[Ioc], *, host: str | None = None) -> bytes:
    """A STIX 2.1 bundle: an indicator per observable IOC, and one note for the rest
    (algorithms), which STIX has no observable type for."""
    now = utc_now_iso()
    seen_on = f" on {host}" if host else ""
    objects: list[dict[str, Any]] = []
    others: list[str] = []
    for ioc in iocs:
        pattern = _stix_pattern(ioc)
        if pattern is None:
            others.append(utf8_text(f"{ioc.ioc_type}: {ioc.value} (seen in {ioc.context})"))
            continue
        objects.append(_indicator(ioc, pattern, now, seen_on))
    if others and objects:
        objects.append(_note("\n".join(others), [o["id"] for o in objects], now, seen_on))
    key = "\n".join(o["id"] for o in objects)
    bundle = {"type": "bundle", "id": stix_id("bundle", f"{host}\n{key}"), "objects": objects}
    return json.dumps(bundle, indent=1, ensure_ascii=True).encode() + b"\n"
