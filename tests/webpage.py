"""A real server and a real browser for the web page's tests and benchmark.

`serve()` starts `uvicorn matcher.api.app:create_app` on 127.0.0.1 (a port the OS picks) with a
throw-away SQLite file; `browser()` starts Debian's Chromium headless through Playwright
(`executable_path`, so Playwright never downloads a browser of its own) with a fresh profile
and every background service switched off, and records every request the page makes.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import httpx

KEY = "web-test-key-for-the-browser-tests-0001"
CHROMIUM = os.environ.get("MATCHER_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-default-apps", "--disable-extensions", "--metrics-recording-only",
    "--no-default-browser-check", "--disable-domain-reliability",
]
_LISTENING = re.compile(r"Uvicorn running on http://127\.0\.0\.1:(\d+)")


def missing() -> str | None:
    """Why the browser tests cannot run here, or None."""
    if not Path(CHROMIUM).exists():
        return f"{CHROMIUM} not found: apt-get install chromium chromium-driver"
    try:
        import playwright  # noqa: F401
    except ImportError:
        return "python package playwright missing: pip install -e '.[dev]'"
    return None


@dataclass
class Server:
    url: str
    process: subprocess.Popen[str]
    log: list[str] = field(default_factory=list)

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=self.url, headers={"X-API-Key": KEY}, timeout=120)


@contextmanager
def serve(tmp: Path, **settings: Any) -> Iterator[Server]:
    """uvicorn on 127.0.0.1 with one API key; stopped (and waited for) on exit."""
    env = {**os.environ, "MATCHER_API_KEYS": f'{{"{KEY}": "web-org"}}',
           "MATCHER_DATABASE_URL": f"sqlite:///{tmp / 'web.db'}"}
    for name, value in settings.items():
        env[f"MATCHER_{name.upper()}"] = str(value)
    proc = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "matcher.api.app:create_app", "--factory",
         "--host", "127.0.0.1", "--port", "0", "--log-level", "info", "--no-access-log"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )
    assert proc.stderr is not None
    log: list[str] = []
    port = None
    deadline = time.monotonic() + 120
    while port is None and time.monotonic() < deadline:
        line = proc.stderr.readline()
        if not line:
            break
        log.append(line)
        m = _LISTENING.search(line)
        if m:
            port = int(m.group(1))
    if port is None:
        proc.kill()
        raise RuntimeError("uvicorn did not start:\n" + "".join(log))
    try:
        yield Server(f"http://127.0.0.1:{port}", proc, log)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@dataclass
class Browser:
    context: Any
    page: Any
    requests: list[str] = field(default_factory=list)
    console: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def off_machine(self) -> list[str]:
        """Every request that went (or tried to go) anywhere but 127.0.0.1."""
        return [u for u in self.requests
                if urlparse(u).scheme not in ("data", "blob")
                and urlparse(u).hostname != "127.0.0.1"]


@contextmanager
def browser(tmp: Path, width: int = 1400, height: int = 900) -> Iterator[Browser]:
    """Headless Chromium with a fresh profile in `tmp`; downloads are accepted."""
    from playwright.sync_api import sync_playwright

    profile = tmp / "chromium-profile"
    shutil.rmtree(profile, ignore_errors=True)
    with sync_playwright() as p:
        context = p.chromium.launch_persistent_context(
            str(profile), executable_path=CHROMIUM, headless=True, args=CHROMIUM_FLAGS,
            viewport={"width": width, "height": height}, accept_downloads=True,
            locale="zh-CN", timezone_id="Asia/Shanghai",
        )
        try:
            page = context.pages[0] if context.pages else context.new_page()
            b = Browser(context, page)
            context.on("request", lambda r: b.requests.append(r.url))
            page.on("console", lambda m: b.console.append(f"{m.type}: {m.text}"))
            page.on("pageerror", lambda e: b.errors.append(str(e)))
            yield b
        finally:
            context.close()
