"""The fleet report in a real headless Chromium (Debian's chromium, over the DevTools pipe):
it opens from disk, its filters narrow every section, host text stays text, nothing is
fetched and nothing is logged as an error."""

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.archivebundles import HOSTILE_HOST, POOL_HOST, WALLET, Fleet, write_fleet
from tests.cdp import Browser, find_chromium, trapping_browser
from tests.conftest import irkit_command, irkit_env

pytest.importorskip("duckdb")
CHROMIUM = find_chromium()
pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="chromium is not installed (Debian: apt-get install chromium)"
)
FLEET = Fleet(hosts=50)
HOST_ROWS = """Array.from(document.querySelectorAll('.mount[data-section="hosts"] tbody tr'))
  .map(tr => tr.cells[0].textContent)"""
MATRIX_ROWS = """Array.from(document.querySelectorAll('.mount[data-section="matrix"] tbody tr'))
  .map(tr => tr.cells[0].textContent)"""
SHARED_VALUES = """Array.from(document.querySelectorAll('.mount[data-section="shared"] tbody tr'))
  .map(tr => tr.cells[1].textContent)"""


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    import subprocess

    base = tmp_path_factory.mktemp("fleet")
    write_fleet(base / "fleet", FLEET)
    archive, html = base / "case.duckdb", base / "fleet.html"
    for args in (
        ("archive", "index", base / "fleet", "-o", archive, "-j", "1"),
        ("archive", "report", archive, "-o", html),
    ):
        result = subprocess.run(irkit_command(*args), capture_output=True, env=irkit_env())
        assert result.returncode in (0, 1), result.stderr
    return html


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    assert CHROMIUM is not None
    with trapping_browser(CHROMIUM) as chromium:
        yield chromium


def open_report(browser: Browser, report: Path) -> None:
    browser.open(report)
    assert browser.evaluate("document.body.dataset.ready") == "1", browser.console_errors()


def set_control(browser: Browser, element_id: str, value: str | bool) -> str:
    """Set a filter control as a user would; return the status line."""
    prop = "checked" if isinstance(value, bool) else "value"
    script = f"""(() => {{
      const input = document.getElementById({json.dumps(element_id)});
      input.{prop} = {json.dumps(value)};
      input.dispatchEvent(new Event("input"));
      input.dispatchEvent(new Event("change"));
      return document.getElementById("f-status").textContent;
    }})()"""
    return str(browser.evaluate(script))


def assert_quiet_and_offline(browser: Browser, report: Path) -> None:
    assert browser.console_errors() == []
    assert browser.requested_urls() == [report.resolve().as_uri()]
    assert browser.dialogs() == []
    assert browser.evaluate("window.__dialogs") == []


def names(ns: frozenset[int] | set[int]) -> list[str]:
    return sorted(FLEET.hostname(n) for n in ns)


def test_every_host_shows_with_its_verdict_and_the_wallet_is_shared(
    browser: Browser, report: Path
) -> None:
    open_report(browser, report)
    assert len(browser.evaluate(HOST_ROWS)) == FLEET.hosts
    verdicts = browser.evaluate(
        """Object.fromEntries(Array.from(document.querySelectorAll(
           '.mount[data-section="hosts"] tbody tr')).map(tr => [tr.cells[0].textContent,
           tr.cells[1].textContent]))"""
    )
    assert verdicts["host-00"] == "COMPROMISED"
    assert verdicts["host-12"] == "SUSPICIOUS"
    assert verdicts["host-20"] == "CLEAN"
    assert set(browser.evaluate(SHARED_VALUES)) == {WALLET, POOL_HOST}
    miners = FLEET.wallet_hosts | FLEET.other_wallet_hosts | FLEET.pool_hosts
    assert sorted(browser.evaluate(MATRIX_ROWS)) == names(miners)
    signs = browser.evaluate(
        """Array.from(document.querySelectorAll('.mount[data-section="signs"] tbody tr'))
           .map(tr => tr.cells[1].textContent)"""
    )
    assert signs[0] == FLEET.hostname(min(FLEET.wallet_hosts))
    assert "NOT INTACT" in browser.evaluate("document.getElementById('integrity-note').textContent")
    assert_quiet_and_offline(browser, report)


def test_filters_narrow_every_section(browser: Browser, report: Path) -> None:
    open_report(browser, report)
    status = set_control(browser, "f-text", WALLET[:20].upper())
    assert browser.evaluate(HOST_ROWS) == names(FLEET.wallet_hosts)
    assert status == f"{len(FLEET.wallet_hosts)} of {FLEET.hosts} hosts"
    assert sorted(browser.evaluate(SHARED_VALUES)) == sorted([WALLET, POOL_HOST])
    set_control(browser, "f-text", "")
    set_control(browser, "f-verdict", "SUSPICIOUS")
    suspicious = FLEET.pool_hosts - FLEET.wallet_hosts
    assert browser.evaluate(HOST_ROWS) == names(suspicious)
    assert browser.evaluate(SHARED_VALUES) == [POOL_HOST]
    assert sorted(browser.evaluate(MATRIX_ROWS)) == names(suspicious)
    set_control(browser, "f-verdict", "")
    set_control(browser, "f-untrusted", True)
    assert browser.evaluate(HOST_ROWS) == names({FLEET.tampered, FLEET.incomplete})
    set_control(browser, "f-untrusted", False)
    assert set_control(browser, "f-text", "no-such-host") == f"0 of {FLEET.hosts} hosts"
    assert browser.evaluate(HOST_ROWS) == []
    assert_quiet_and_offline(browser, report)


def test_a_hostile_hostname_is_text_and_runs_nothing(browser: Browser, report: Path) -> None:
    open_report(browser, report)
    assert HOSTILE_HOST in browser.evaluate(HOST_ROWS)
    assert browser.evaluate("document.querySelectorAll('img, iframe, object, embed').length") == 0
    assert browser.evaluate("document.scripts.length") == 2
    set_control(browser, "f-text", "onerror")
    assert browser.evaluate(HOST_ROWS) == [HOSTILE_HOST]
    assert_quiet_and_offline(browser, report)
