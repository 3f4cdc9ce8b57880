"""Report benchmark: build the HTML report of a bundle with N timeline events (default 100,000).

Measures loading the bundle, building the timeline, building the report, the report's size,
and (when chromium is installed) opening it and filtering its whole timeline in headless Chromium
(the page opens on the incident window; the filter runs over the whole range).
The reference is serialising the same records with json.dumps: the report's build time is
given as a ratio to it, so the figure means the same on a slower machine.

    python benchmarks/report.py [--events N] [--no-browser]

Writes benchmarks/out/report.json and prints a Markdown table for docs/performance.md.
"""

import argparse
import json
import platform
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from irkit.evidence.reader import BundleReader  # noqa: E402
from irkit.evidence.view import view_from_reader  # noqa: E402
from irkit.report.html import build_report  # noqa: E402
from irkit.timeline.events import Timeline  # noqa: E402
from tests.cdp import Browser, find_chromium  # noqa: E402
from tests.reportbundles import large_bundle  # noqa: E402

T = TypeVar("T")
FILTER = """(() => { document.getElementById("tl-all").click();
  const i = document.getElementById("tl-text"); i.value = "cron";
  i.dispatchEvent(new Event("input"));
  return document.getElementById("tl-status").textContent; })()"""


def timed(action: Callable[[], T]) -> tuple[T, float]:
    start = time.perf_counter()
    result = action()
    return result, time.perf_counter() - start


def browser_times(report: Path) -> dict[str, float | str]:
    binary = find_chromium()
    if binary is None:
        return {"browser": "chromium not installed"}
    browser = Browser(binary)
    try:
        _, opened = timed(lambda: browser.open(report))
        status, filtered = timed(lambda: browser.evaluate(FILTER))
        errors = browser.console_errors()
    finally:
        browser.close()
    return {
        "open_s": opened,
        "filter_s": filtered,
        "filter_status": str(status),
        "console_errors": len(errors),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--no-browser", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="irkit-bench-") as tmp:
        bundle = large_bundle(Path(tmp) / "large.zip", args.events)
        with BundleReader(bundle) as reader:
            view, load_s = timed(lambda: view_from_reader(reader))
        events, timeline_s = timed(lambda: Timeline([view]))
        html, report_s = timed(lambda: build_report([view], timeline=events))
        _, json_s = timed(lambda: json.dumps([r.data for r in view.records]))
        report = Path(tmp) / "report.html"
        report.write_bytes(html)
        result: dict[str, object] = {
            "events": len(events),
            "records": len(view.records),
            "bundle_bytes": bundle.stat().st_size,
            "load_s": load_s,
            "timeline_s": timeline_s,
            "report_build_s": report_s,
            "report_bytes": len(html),
            "bytes_per_event": len(html) / len(events),
            "report_vs_json_dumps": report_s / json_s,
            "python": platform.python_version(),
            "machine": platform.machine(),
        }
        if not args.no_browser:
            result.update(browser_times(report))
    out = REPO / "benchmarks" / "out"
    out.mkdir(parents=True, exist_ok=True)
    (out / "report.json").write_text(json.dumps(result, indent=2) + "\n")
    print("| measure | value |\n|---|---|")
    for key, value in result.items():
        shown = f"{value:.2f}" if isinstance(value, float) else str(value)
        print(f"| {key} | {shown} |")


if __name__ == "__main__":
    main()
