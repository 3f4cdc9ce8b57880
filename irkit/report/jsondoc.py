"""The review as JSON (`irkit review --json`) and the parts of it the HTML report embeds.

A review (--allow-not-intact) of a bundle that is NOT INTACT says so at the top of the document
(`intact: false` and the `not_intact` banners), as the terminal summary and report.html do.
"""

from collections.abc import Sequence
from typing import Any

from irkit.evidence.view import BundleView, Integrity, not_intact_banners
from irkit.report.custody import custody_data
from irkit.report.summary import Summary


def integrity_data(integrity: Integrity, members: int) -> dict[str, Any]:
    return {
        "state": integrity.state,
        "sealed": integrity.sealed,
        "verified": integrity.verified,
        "manifest_sha256": integrity.manifest_sha256,
        "bundle_sha256": integrity.bundle_sha256,
        "complete": integrity.complete,
        "incomplete_reason": integrity.incomplete_reason,
        "problems": integrity.problems,
        "members": members,
        "signature": integrity.signature,
        "signed_by": integrity.signed_by,
        "encrypted": integrity.encrypted,
    }


def summary_head(views: Sequence[BundleView], summary: Summary) -> dict[str, Any]:
    return {
        "intact": all(view.integrity.verified is not False for view in views),
        "not_intact": not_intact_banners(views),
        "verdict": summary.verdict,
        "reason": summary.reason,
        "by_severity": summary.by_severity,
        "hosts": summary.hosts,
    }


def review_document(views: Sequence[BundleView], summary: Summary) -> dict[str, Any]:
    """The verdict, findings and IOCs, with each bundle's integrity and unreadable parts."""
    return {
        **summary_head(views, summary),
        "findings": summary.findings,
        "iocs": summary.iocs,
        "bundles": [
            {
                "label": view.label,
                "host": view.host.get("hostname"),
                "path": view.path,
                "integrity": integrity_data(view.integrity, len(view.members)),
                "custody": custody_data(view),
                "problems": view.problems,
            }
            for view in views
        ],
    }
