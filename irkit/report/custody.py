"""Custody of each bundle as a reader sees it first: intact or not, signed by which key or
unsigned, encrypted or not, and collected by which user on which host, when.

One source for the terminal summary, `review --json` and report.html, so they agree.
"""

from typing import Any

from irkit.evidence.view import BundleView


def _collector(view: BundleView) -> str:
    who = view.collected_by or {}
    if "uid" not in who:
        return "an unknown user"
    rights = "privileged" if who.get("privileged") else "unprivileged"
    return f"uid {who.get('uid')} (euid {who.get('euid')}, {rights})"


def custody_data(view: BundleView) -> dict[str, Any]:
    integrity = view.integrity
    return {
        "state": integrity.state,
        "signature": integrity.signature or "not checked",
        "signature_state": integrity.signature_state,
        "signed_by": integrity.signed_by,
        "encrypted": integrity.encrypted,
        "collected_by": view.collected_by,
        "collector": _collector(view),
        "host": view.host.get("hostname"),
        "started": view.started,
        "ended": view.ended,
    }


def custody_line(view: BundleView) -> str:
    """`case.zip: intact; signed by ...; encrypted (age); collected by uid 0 ... on HOST,
    STARTED to ENDED`."""
    data = custody_data(view)
    encrypted = "encrypted (age)" if data["encrypted"] else "not encrypted"
    return (
        f"{view.path or view.label}: {data['state']}; {data['signature']}; {encrypted};"
        f" collected by {data['collector']} on {data['host'] or 'an unnamed host'},"
        f" {data['started'] or '?'} to {data['ended'] or '?'}"
    )
