"""The report in a real headless Chromium (Debian's chromium, driven over the DevTools pipe).

Each test opens report.html from disk (file://) and checks what a responder would see, that no
script of the host's data runs, that nothing is logged as an error and that the page asks the
network for nothing but itself.
"""

import base64
import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from irkit.evidence.reader import BundleReader
from irkit.evidence.view import view_from_reader
from irkit.report.html import build_report, report_from_reader
from tests.cdp import Browser, find_chromium, trapping_browser
from tests.reportbundles import (
    ANSI_NAME,
    SCRIPT_TITLE,
    XSS_CMDLINE,
    large_bundle,
    scenario_bundle,
    triage_bundle,
)

CHROMIUM = find_chromium()
pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="chromium is not installed (Debian: apt-get install chromium)"
)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    assert CHROMIUM is not None
    with trapping_browser(CHROMIUM) as chromium:
        yield chromium


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


def open_section(browser: Browser, section: str) -> None:
    """Open a collapsed reference section the way a reader does, by its summary."""
    browser.evaluate(f"document.querySelector('#{section} > summary').click()")
    assert browser.evaluate(f"document.getElementById('{section}').open")


def click(browser: Browser, selector: str) -> None:
    browser.evaluate(f"document.querySelector({json.dumps(selector)}).click()")


def status(browser: Browser) -> str:
    return str(browser.evaluate("document.getElementById('tl-status').textContent"))


TIMELINE_ROWS = """Array.from(document.querySelectorAll('.mount[data-section="timeline"] tbody tr'))
  .map(tr => Array.from(tr.cells).map(td => td.textContent))"""


def test_findings_show_and_the_timeline_filters_to_cron(browser: Browser, tmp_path: Path) -> None:
    report = write_report(scenario_bundle(tmp_path))
    open_report(browser, report)
    findings = browser.evaluate(
        """Array.from(document.querySelectorAll("article.finding"))
           .filter(a => a.checkVisibility()).map(a => a.innerText)"""
    )
    assert len(findings) == 2, "high and medium open; the low one folded away"
    assert browser.evaluate("document.querySelectorAll('details.minor article').length") == 1
    assert "Miner hiding as a kernel thread" in findings[0] and "T1496" in findings[0]
    assert "tcp 127.0.0.1:43210 → 203.0.113.7:3333 ESTABLISHED [pool-port]" in findings[0]
    assert browser.evaluate("document.getElementById('verdict-text').textContent") == (
        "COMPROMISED"
    )
    # It opens on the incident window: the one instant the miner started and was flagged.
    assert browser.evaluate("document.getElementById('tl-from').value") == (
        "2026-11-30T10:05:00.123456Z"
    )
    opened = browser.evaluate(TIMELINE_ROWS)
    assert opened and {row[0] for row in opened} == {"2026-11-30T10:05:00.123456Z"}
    click(browser, "#tl-all")
    total = browser.evaluate(TIMELINE_ROWS)
    assert len(total) > len(opened)
    assert [row[0] for row in total] == sorted((row[0] for row in total), reverse=True)
    status_text = set_input(browser, "tl-text", "cron")
    rows = browser.evaluate(TIMELINE_ROWS)
    assert rows and len(rows) < len(total)
    assert all("cron" in " ".join(row).lower() for row in rows)
    assert status_text.startswith(f"{len(rows)} of {len(total)} events")
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
    set_input(browser, "tl-newest", "")
    browser.evaluate("(() => { const b = document.getElementById('tl-newest'); b.click(); })()")
    oldest_first = [row[0] for row in browser.evaluate(TIMELINE_ROWS)]
    assert oldest_first == sorted(times)
    assert_quiet_and_offline(browser, report)


def test_dragging_across_the_strip_zooms_the_table(browser: Browser, tmp_path: Path) -> None:
    report = write_report(scenario_bundle(tmp_path))
    open_report(browser, report)
    click(browser, "#tl-all")
    everything = int(status(browser).split()[0])
    box = browser.evaluate(
        """(() => { const svg = document.querySelector('#tl-overview svg');
           svg.scrollIntoView({block: 'center'}); const r = svg.getBoundingClientRect();
           return [r.left, r.top, r.width, r.height]; })()"""
    )
    left, top, width, height = box
    y = top + height / 2
    # A real drag with the mouse over the last tenth of the range.
    for kind, x in (("mousePressed", 0.9), ("mouseMoved", 0.95), ("mouseReleased", 0.999)):
        browser.send(
            "Input.dispatchMouseEvent",
            {"type": kind, "x": left + width * x, "y": y, "button": "left", "buttons": 1,
             "clickCount": 1},
        )  # fmt: skip
    shown = int(status(browser).split()[0])
    assert 0 < shown < everything
    low = browser.evaluate("document.getElementById('tl-from').value")
    times = [row[0] for row in browser.evaluate(TIMELINE_ROWS)]
    assert all(t >= low for t in times)
    click(browser, "#tl-zoomout")
    assert int(status(browser).split()[0]) >= shown
    click(browser, "#tl-incident")
    assert browser.evaluate("document.getElementById('tl-from').value") == (
        "2026-11-30T10:05:00.123456Z"
    )
    assert_quiet_and_offline(browser, report)


def test_hostile_host_text_shows_as_text_and_runs_nothing(browser: Browser, tmp_path: Path) -> None:
    report = write_report(scenario_bundle(tmp_path))
    open_report(browser, report)
    lineage = browser.evaluate(
        "document.querySelector('#lineage li.node.flagged[data-pid=\"4242\"] .value').textContent"
    )
    assert lineage == "/tmp/.x/kworker (deleted)"
    values = browser.evaluate(
        "Array.from(document.querySelectorAll('#lineage .value, #findings .value'))"
        ".map(v => v.textContent)"
    )
    assert values.count(XSS_CMDLINE) >= 2, "in the tree and in the finding, as text"
    open_section(browser, "processes")
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
    browser.evaluate("document.querySelector('details.minor').open = true")
    text = browser.evaluate("document.body.innerText")
    assert "\x1b" not in text and "\x07" not in text
    assert ANSI_NAME.replace("\x1b", "\\x1b").replace("\x07", "\\x07") in text
    click(browser, "#tl-all")
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
    target = browser.evaluate(
        """(() => { document.querySelector('a.pid-link[data-pid="4242"]').click();
           return document.querySelector('.target').closest('li.node').dataset.pid; })()"""
    )
    assert target == "4242"
    card = browser.evaluate(
        """(() => { const low = document.querySelector('details.minor');
           const link = Array.from(document.querySelectorAll('#lineage a.sig'))
             .find(a => a.textContent.startsWith('Miner hiding'));
           link.click();
           return [location.hash, document.querySelector(location.hash + ' .title').textContent,
                   low.open]; })()"""
    )
    assert card[0].startswith("#finding-") and card[1].startswith("Miner hiding")
    assert card[2] is False, "a link into an open card leaves the folded ones folded"
    copied = browser.evaluate(
        """(async () => { const value = document.querySelector('#findings .value');
           const button = value.nextElementSibling; button.click();
           while (button.textContent === "copy") await new Promise(requestAnimationFrame);
           return [button.className, button.textContent]; })()"""
    )
    assert copied[0] == "copy-button" and copied[1] in ("copied", "selected")
    assert_quiet_and_offline(browser, report)


@pytest.mark.slow
def test_a_report_of_100000_events_opens_and_filters(browser: Browser, tmp_path: Path) -> None:
    report = write_report(large_bundle(tmp_path / "large.zip", 100_000))
    open_report(browser, report)
    click(browser, "#tl-all")
    total = int(status(browser).split(" of ")[1].split()[0])
    assert total >= 100_000
    assert len(browser.evaluate(TIMELINE_ROWS)) == 200, "one page in the DOM, not 100,000 rows"
    filtered = set_input(browser, "tl-text", "cron")
    rows = browser.evaluate(TIMELINE_ROWS)
    assert int(filtered.split()[0]) == 3 * 334
    assert all("cron" in " ".join(row) for row in rows)
    browser.evaluate(
        """Array.from(document.querySelectorAll('.mount[data-section="timeline"] .pager button'))
           .find(b => b.textContent.startsWith("last")).click()"""
    )
    assert browser.evaluate(TIMELINE_ROWS)
    assert_quiet_and_offline(browser, report)


@pytest.fixture(scope="module")
def triage_report(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, int]]:
    if shutil.which("gcc") is None:
        pytest.skip("gcc builds the synthetic miner")
    bundle, pids = triage_bundle(tmp_path_factory.mktemp("triage"))
    return write_report(bundle), pids


def screenshot_path(tmp_path: Path, name: str) -> Path:
    """$IRKIT_SCREENSHOTS/NAME when set (for a person to look at), else under pytest's tmp."""
    folder = Path(os.environ.get("IRKIT_SCREENSHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder / name


LINEAGE = """(() => {
  const node = pid => document.querySelector('#lineage li.node[data-pid="' + pid + '"]');
  const [agent, shell, miner] = [AGENT, SHELL, MINER].map(node);
  return {
    nested: agent.contains(shell) && shell.contains(miner) && !miner.contains(shell),
    flagged: miner.classList.contains("flagged"),
    head: miner.querySelector(".node-head").textContent,
    exe: miner.querySelector(".value").textContent,
    signals: Array.from(miner.querySelectorAll(":scope > .node-box .sig")).map(s => s.textContent),
  };
})()"""


@pytest.mark.slow
def test_a_triage_report_opens_on_the_incident(
    browser: Browser, triage_report: tuple[Path, dict[str, int]], tmp_path: Path
) -> None:
    report, pids = triage_report
    browser.send(
        "Emulation.setDeviceMetricsOverride",
        {"width": 1280, "height": 900, "deviceScaleFactor": 1, "mobile": False},
    )
    try:
        open_report(browser, report)
        script = LINEAGE
        for name, pid in pids.items():
            script = script.replace(name.upper(), str(pid))
        tree = browser.evaluate(script)
        assert tree["nested"] and tree["flagged"], tree
        assert tree["head"].startswith(f"{pids['miner']} kworker")  # the name it hides under
        assert "root" in tree["head"] and tree["exe"].endswith("/.cache/.x/kworkerds")
        assert (
            "kernel-thread-imitation" in tree["signals"] or "exe-in-hidden-dir" in tree["signals"]
        )
        assert any(s.startswith("likely miner") for s in tree["signals"]), tree["signals"]
        # The findings carry their evidence: the command line, the cron and unit lines, YARA.
        labels = browser.evaluate(
            "Array.from(document.querySelectorAll('#findings dl.evidence-lines dt'))"
            ".map(d => d.textContent)"
        )
        assert "command line" in labels and "cron line /etc/crontab:2" in labels
        assert "unit line /etc/systemd/system/kworker.service:2" in labels
        assert any(label.startswith("YARA $") and " @ 0x" in label for label in labels)
        # The strips are drawn, the incident window is marked, the table opens on it.
        assert browser.evaluate("document.querySelectorAll('#tl-overview rect.bar').length") > 0
        assert browser.evaluate("document.querySelectorAll('#tl-zoom rect.incident').length") == 1
        low = browser.evaluate("document.getElementById('tl-from').value")
        high = browser.evaluate("document.getElementById('tl-to').value")
        times = [row[0] for row in browser.evaluate(TIMELINE_ROWS)]
        assert times and all(low <= t <= high for t in times)
        assert times == sorted(times, reverse=True), "newest first"
        assert "in the window shown" in status(browser)
        # Readable at 1280 px: nothing wider than the page, short words never split.
        assert browser.evaluate("document.documentElement.scrollWidth") <= 1280
        split = browser.evaluate(
            """Array.from(document.querySelectorAll('td.c-type, td.c-time, .sev, .sig-flag'))
               .filter(n => { const r = document.createRange(); r.selectNodeContents(n);
                              return r.getClientRects().length > 1; }).map(n => n.textContent)"""
        )
        assert split == []
        misplaced_heads = browser.evaluate(
            """Array.from(document.querySelectorAll('table')).filter(t => t.tBodies[0].rows.length
                 && t.tHead.rows[0].cells[0].getBoundingClientRect().bottom
                    > t.tBodies[0].rows[0].getBoundingClientRect().top + 1).length"""
        )
        assert misplaced_heads == 0
        height = min(int(browser.evaluate("document.documentElement.scrollHeight")), 6000)
        shot = browser.send(
            "Page.captureScreenshot",
            {
                "format": "png",
                "captureBeyondViewport": True,
                "clip": {"x": 0, "y": 0, "width": 1280, "height": height, "scale": 1},
            },
        )
        png = screenshot_path(tmp_path, "triage-report.png")
        png.write_bytes(base64.b64decode(shot["data"]))
        assert png.read_bytes().startswith(b"\x89PNG")
        assert_quiet_and_offline(browser, report)
    finally:
        browser.send("Emulation.clearDeviceMetricsOverride")


def test_print_shows_the_incident_without_controls(browser: Browser, tmp_path: Path) -> None:
    report = write_report(scenario_bundle(tmp_path))
    open_report(browser, report)
    browser.send("Emulation.setEmulatedMedia", {"media": "print"})
    try:
        hidden = browser.evaluate(
            """['header nav', '.strip-tools', '.copy-button']
               .map(s => getComputedStyle(document.querySelector(s)).display)"""
        )
        assert hidden == ["none", "none", "none"]
        assert browser.evaluate("getComputedStyle(document.querySelector('header')).position") == (
            "static"
        )
        assert browser.evaluate("document.querySelector('#lineage li.node.flagged') !== null")
    finally:
        browser.send("Emulation.setEmulatedMedia", {"media": ""})
    assert_quiet_and_offline(browser, report)


def test_two_hosts_get_a_tree_each_and_one_timeline(browser: Browser, tmp_path: Path) -> None:
    views = []
    for host in ("web-1", "web-2"):
        folder = tmp_path / host
        folder.mkdir()
        with BundleReader(scenario_bundle(folder, hostname=host)) as reader:
            views.append(view_from_reader(reader))
    report = tmp_path / "two.html"
    report.write_bytes(build_report(views))
    open_report(browser, report)
    trees = browser.evaluate(
        """Array.from(document.querySelectorAll('#lineage ul.lineage'))
           .map(u => [u.dataset.host, u.querySelectorAll('li.node.flagged').length])"""
    )
    assert trees == [["web-1", 1], ["web-2", 1]]
    click(browser, "#tl-all")
    hosts = {row[1] for row in browser.evaluate(TIMELINE_ROWS)}
    assert hosts == {"web-1", "web-2"}
    assert_quiet_and_offline(browser, report)
