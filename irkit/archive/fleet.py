"""The fleet report: one self-contained HTML file over the whole archive.

It follows the bundle report's rules (irkit/report/html.py): host text reaches the page only
inside one JSON data block escaped by `script_json` and is rendered with `textContent`; a
per-report nonce Content-Security-Policy allows no other script, style, image or fetch.
The data is the answers of the named questions, so the page and the CLI never disagree.
"""

import secrets
from importlib import resources
from typing import Any

import jinja2
from markupsafe import Markup

from irkit import __version__
from irkit.archive.questions import FIRST_SIGNS, FLEET, PREVALENCE, ask
from irkit.report.html import script_json
from irkit.timeutil import utc_now_iso

MATRIX_IOCS = 200
"""IOCs in the host × IOC matrix (the most widespread first)."""
SHARED_IOCS = 5_000
"""IOCs on more than one host listed (the most widespread first): the page says when there
are more, and `irkit archive prevalence` lists them all."""


def _asset(name: str) -> str:
    return (resources.files("irkit") / "data" / "archive" / name).read_text(encoding="utf-8")


def fleet_data(connection: Any) -> dict[str, Any]:
    """Hosts with their verdict and first sign, IOCs with the hosts that carry them."""
    hosts = ask(connection, FLEET).records()
    signs = {row["host"]: row for row in ask(connection, FIRST_SIGNS).records()}
    for row in hosts:
        sign = signs.get(row["host"]) or {}
        row["first_sign"], row["first_sign_what"] = sign.get("first_sign"), sign.get("what")
    iocs = ask(connection, PREVALENCE, {"min_hosts": 1}).records()
    bundles, not_intact = connection.execute(
        "SELECT count(*), count(*) FILTER (WHERE NOT intact) FROM bundles"
    ).fetchone()
    shared = sum(1 for ioc in iocs if ioc["hosts"] > 1)  # they come first: most hosts first
    return {
        "hosts": hosts,
        "iocs": iocs[: max(MATRIX_IOCS, min(shared, SHARED_IOCS))],
        "iocs_total": len(iocs),
        "shared_total": shared,
        "matrix_iocs": min(len(iocs), MATRIX_IOCS),
        "bundles": bundles,
        "not_intact": not_intact,
        "generated": utc_now_iso(),
        "version": __version__,
    }


def fleet_report(connection: Any) -> bytes:
    data = fleet_data(connection)
    nonce = secrets.token_urlsafe(18)
    environment = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)
    html = environment.from_string(_asset("fleet.html.j2")).render(
        nonce=nonce,
        css=Markup(_asset("fleet.css")),  # irkit's own files, not host text
        script=Markup(_asset("fleet.js")),
        data=script_json(data),
        hosts=len(data["hosts"]),
        bundles=data["bundles"],
        generated=data["generated"],
        version=__version__,
    )
    return html.encode("utf-8")
