"""The report in a real headless Chromium (Debian's chromium, driven over the DevTools pipe).

Each test opens report.html from disk (file://) and checks what a responder would see, that no
script of the host's data runs, that nothing is logged as an error and that the page asks the
network for nothing but itself.
"""

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from irkit.evidence.reader import BundleReader
from irkit.report.html import report_from_reader
from tests.cdp import Browser, find_chromium
from tests.reportbundles import ANSI_NAME, SCRIPT_TITLE, XSS_CMDLINE, large_bundle, scenario_bundle

CHROMIUM = find_chromium()
pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="chromium is not installed (Debian: apt-get install chromium)"
)

# Installed before any page script: a dialog opened by injected code is recorded, not shown.
TRAP_DIALOGS = """
window.__dialogs = [];
for (const name of ["alert", "confirm", "prompt"]) {
  window[name] = (message) => { window.__dialogs.push(String(message)); };
}
"""


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    assert CHROMIUM is not None
    chromium = Browser(CHROMIUM)
    chromium.send("Page.addScriptToEvaluateOnNewDocument", {"source": TRAP_DIALOGS})
    try:
        yield chromium
    finally:
        chromium.close()


def write_report(bundle: Path) -> Path:
    report = bundle.with_suffix(".html")
    with BundleReader(bundle) as reader:
        report.write_bytes(report_from_reader(reader))
    return report


def open_report(browser: Browser, report: Path) -> None:
    browser.open(report)
    assert browser.evaluate("document.body.dataset.ready") == "1", browser.console_errors()


def assert_quiet_and_offline(browser: Browser, report: Path) -> None:
    assert browser.console_errors() == []
    assert browser.requested_urls() == [report.resolve().as_uri()]
    assert browser.dialogs() == []
    assert browser.evaluate("window.__dialogs") == []


def set_input(browser: Browser, element_id: str, value: str) -> str:
    """Type into a timeline control; return the status line it produces."""
    script = f"""(() => {{
      const input = document.getElementById({json.dumps(element_id)});
      input.value = {json.dumps(value)};
      input.dispatchEvent(new Event("input"));
      input.dispatchEvent(new Event("change"));
      return document.getElementById("tl-status").textContent;
    }})()"""
    return str(browser.evaluate(script))


TIMELINE_ROWS = """Array.from(document.querySelectorAll('.mount[data-section="timeline"] tbody tr'))
  .map(tr => Array.from(tr.cells).map(td => td.textContent))"""


def test_findings_show_and_the_timeline_filters_to_cron(browser: Browser, tmp_path: Path) -> None:
    report = write_report(scenario_bundle(tmp_path))
    open_report(browser, report)
    findings = browser.evaluate(
        """Array.from(document.querySelectorAll("article.finding"))
           .filter(a => a.getBoundingClientRect().height > 0).map(a => a.innerText)"""
    )
    assert len(findings) == 3
    assert "Miner hiding as a kernel thread" in findings[0] and "T1496" in findings[0]
    assert browser.evaluate("document.getElementById('verdict-text').textContent") == (
        "COMPROMISED"
    )
    total = browser.evaluate(TIMELINE_ROWS)
    status = set_input(browser, "tl-text", "cron")
    rows = browser.evaluate(TIMELINE_ROWS)
    assert rows and len(rows) < len(total)
    assert all("cron" in " ".join(row).lower() for row in rows)
    assert status.startswith(f"{len(rows)} of {len(total)} events")
    set_input(browser, "tl-text", "")
    type_index = browser.evaluate(
        """Array.from(document.getElementById("tl-type").options)
           .find(o => o.textContent === "persistence").value"""
    )
    set_input(browser, "tl-type", type_index)
    assert {row[1] for row in browser.evaluate(TIMELINE_ROWS)} == {"persistence"}
    set_input(browser, "tl-type", "")
    set_input(browser, "tl-from", "2026-11-30T10:04:00Z")
    set_input(browser, "tl-to", "2026-11-30T10:05:00.5Z")
    times = [row[0] for row in browser.evaluate(TIMELINE_ROWS)]
    assert times and all("2026-11-30T10:04:00" <= t <= "2026-11-30T10:05:00.5" for t in times)
    assert "2026-11-30T10:05:00.123456Z" in times
    assert_quiet_and_offline(browser, report)


def test_hostile_host_text_shows_as_text_and_runs_nothing(browser: Browser, tmp_path: Path) -> None:
    report = write_report(scenario_bundle(tmp_path))
    open_report(browser, report)
    miner = browser.evaluate(
        """(() => { const row = document.querySelector('.proc[data-pid="4242"]');
           return {text: row.querySelector(".cmdline").textContent, cls: row.className}; })()"""
    )
    assert miner["text"] == XSS_CMDLINE
    assert "flagged" in miner["cls"]
    assert browser.evaluate("document.querySelectorAll('img, iframe, object, embed').length") == 0
    assert browser.evaluate("document.scripts.length") == 2
    titles = browser.evaluate(
        "Array.from(document.querySelectorAll('article.finding h3')).map(h => h.textContent)"
    )
    assert any(SCRIPT_TITLE in title for title in titles)
    text = browser.evaluate("document.body.innerText")
    assert "\x1b" not in text and "\x07" not in text
    assert ANSI_NAME.replace("\x1b", "\\x1b").replace("\x07", "\\x07") in text
    set_input(browser, "tl-text", "onerror")
    browser.evaluate(
        """document.querySelector('.mount[data-section="timeline"] tbody tr').click()"""
    )
    detail = browser.evaluate("document.getElementById('tl-detail').textContent")
    assert XSS_CMDLINE in detail
    assert_quiet_and_offline(browser, report)


def test_evidence_links_lead_to_the_members_they_rest_on(browser: Browser, tmp_path: Path) -> None:
    report = write_report(scenario_bundle(tmp_path))
    open_report(browser, report)
    members = browser.evaluate(
        """(() => {
           document.querySelector('a.member-link[data-member="files/etc/crontab"]').click();
           return Array.from(document.querySelectorAll('.mount[data-section="members"] tbody tr'))
             .map(tr => tr.cells[0].textContent); })()"""
    )
    assert members == ["files/etc/crontab"]
    assert_quiet_and_offline(browser, report)


@pytest.mark.slow
def test_a_report_of_100000_events_opens_and_filters(browser: Browser, tmp_path: Path) -> None:
    report = write_report(large_bundle(tmp_path / "large.zip", 100_000))
    open_report(browser, report)
    status = browser.evaluate("document.getElementById('tl-status').textContent")
    total = int(status.split(" of ")[1].split()[0])
    assert total >= 100_000
    assert len(browser.evaluate(TIMELINE_ROWS)) == 200, "one page in the DOM, not 100,000 rows"
    status = set_input(browser, "tl-text", "cron")
    rows = browser.evaluate(TIMELINE_ROWS)
    assert int(status.split()[0]) == 3 * 334
    assert all("cron" in " ".join(row) for row in rows)
    browser.evaluate(
        """Array.from(document.querySelectorAll('.mount[data-section="timeline"] .pager button'))
           .find(b => b.textContent.startsWith("last")).click()"""
    )
    assert browser.evaluate(TIMELINE_ROWS)
    assert_quiet_and_offline(browser, report)
