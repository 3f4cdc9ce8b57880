"""A minimal Chrome DevTools Protocol client for browser tests, stdlib only.

Chromium is started with --remote-debugging-pipe: the protocol runs over file descriptors 3
(commands in) and 4 (replies and events out) as NUL-terminated JSON, so no websocket library,
no port and no browser download is needed: Debian's /usr/bin/chromium is driven directly.
"""

import contextlib
import fcntl
import json
import os
import queue
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

CANDIDATES = ("/usr/lib/chromium/chromium", "chromium", "chromium-browser", "google-chrome")
"""Debian's /usr/bin/chromium is a shell wrapper; the binary behind it is started directly."""
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--disable-extensions",
    "--remote-debugging-pipe",
)
WAIT = 60.0


def find_chromium() -> str | None:
    for name in CANDIDATES:
        found = shutil.which(name)
        if found:
            return found
    return None


class CDPError(Exception):
    pass


class Browser:
    """One headless Chromium with one page; events are kept for the test to inspect."""

    def __init__(self, binary: str) -> None:
        self.profile = tempfile.mkdtemp(prefix="irkit-chromium-")
        to_chrome_r, to_chrome_w = os.pipe()
        from_chrome_r, from_chrome_w = os.pipe()
        high_r = fcntl.fcntl(to_chrome_r, fcntl.F_DUPFD, 10)
        high_w = fcntl.fcntl(from_chrome_w, fcntl.F_DUPFD, 10)
        os.close(to_chrome_r)
        os.close(from_chrome_w)
        # bash (dash reads one-digit fds only) puts the pipes on fds 3 and 4, then runs chromium.
        trampoline = f'exec "$0" "$@" 3<&{high_r} 4>&{high_w} {high_r}<&- {high_w}>&-'
        self.process = subprocess.Popen(
            ["bash", "-c", trampoline, binary, *FLAGS, f"--user-data-dir={self.profile}"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            pass_fds=(high_r, high_w),
        )
        os.close(high_r)
        os.close(high_w)
        self._out = os.fdopen(to_chrome_w, "wb", buffering=0)
        self._in = os.fdopen(from_chrome_r, "rb", buffering=0)
        self._messages: queue.Queue[dict[str, Any] | None] = queue.Queue()
        self._next_id = 0
        self.events: list[dict[str, Any]] = []
        threading.Thread(target=self._read, daemon=True).start()
        self.session = ""
        self._open_page()

    def _read(self) -> None:
        buffer = b""
        while True:
            chunk = self._in.read(1 << 16)
            if not chunk:
                self._messages.put(None)
                return
            buffer += chunk
            while b"\0" in buffer:
                raw, buffer = buffer.split(b"\0", 1)
                self._messages.put(json.loads(raw))

    def _take(self, timeout: float) -> dict[str, Any]:
        message = self._messages.get(timeout=timeout)
        if message is None:
            raise CDPError("chromium closed the DevTools pipe")
        if "id" not in message:
            self.events.append(message)
        return message

    def send(self, method: str, params: dict[str, Any] | None = None, *, page: bool = True) -> Any:
        self._next_id += 1
        command: dict[str, Any] = {"id": self._next_id, "method": method, "params": params or {}}
        if page and self.session:
            command["sessionId"] = self.session
        self._out.write(json.dumps(command).encode() + b"\0")
        while True:
            message = self._take(WAIT)
            if message.get("id") == self._next_id:
                if "error" in message:
                    raise CDPError(f"{method}: {message['error']}")
                return message.get("result", {})

    def wait_event(self, method: str, timeout: float = WAIT) -> dict[str, Any]:
        for event in self.events:
            if event.get("method") == method:
                return event
        while True:
            message = self._take(timeout)
            if message.get("method") == method:
                return message

    def _open_page(self) -> None:
        target = self.send("Target.createTarget", {"url": "about:blank"}, page=False)
        attached = self.send(
            "Target.attachToTarget", {"targetId": target["targetId"], "flatten": True}, page=False
        )
        self.session = attached["sessionId"]
        for domain in ("Page", "Runtime", "Log", "Network"):
            self.send(f"{domain}.enable")

    def open(self, path: Path) -> None:
        self.events.clear()
        self.send("Page.navigate", {"url": path.resolve().as_uri()})
        self.wait_event("Page.loadEventFired")

    def evaluate(self, expression: str) -> Any:
        result = self.send(
            "Runtime.evaluate",
            {"expression": expression, "returnByValue": True, "awaitPromise": True},
        )
        if "exceptionDetails" in result:
            raise CDPError(f"{expression!r} threw: {result['exceptionDetails']}")
        return result["result"].get("value")

    def console_errors(self) -> list[str]:
        errors = []
        for event in self.events:
            method, params = event.get("method"), event.get("params", {})
            if method == "Runtime.exceptionThrown":
                errors.append(json.dumps(params.get("exceptionDetails")))
            elif method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
                errors.append(json.dumps(params.get("args")))
            elif method == "Log.entryAdded" and params.get("entry", {}).get("level") == "error":
                errors.append(params["entry"].get("text", ""))
        return errors

    def requested_urls(self) -> list[str]:
        return [
            e["params"]["request"]["url"]
            for e in self.events
            if e.get("method") == "Network.requestWillBeSent"
        ]

    def dialogs(self) -> list[str]:
        return [
            e["params"].get("message", "")
            for e in self.events
            if e.get("method") == "Page.javascriptDialogOpening"
        ]

    def close(self) -> None:
        with contextlib.suppress(CDPError, OSError, queue.Empty):
            self.send("Browser.close", page=False)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self._out.close()
        shutil.rmtree(self.profile, ignore_errors=True)


TRAP_DIALOGS = """
window.__dialogs = [];
for (const name of ["alert", "confirm", "prompt"]) {
  window[name] = (message) => { window.__dialogs.push(String(message)); };
}
"""
"""Installed before any page script: a dialog opened by injected code is recorded in
`window.__dialogs` for the test to find, not shown (a shown dialog would block the page)."""


@contextlib.contextmanager
def trapping_browser(binary: str) -> Iterator[Browser]:
    """A browser whose pages record dialogs instead of showing them (TRAP_DIALOGS)."""
    chromium = Browser(binary)
    chromium.send("Page.addScriptToEvaluateOnNewDocument", {"source": TRAP_DIALOGS})
    try:
        yield chromium
    finally:
        chromium.close()
