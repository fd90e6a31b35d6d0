"""Open report pages in Debian's headless Chromium (through playwright) and record what happened."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest

CHROMIUM = Path("/usr/bin/chromium")
LOCAL_SCHEMES = {"file", "data", "blob", "about"}
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}
DRAWN = """() => Array.from(document.querySelectorAll('div.figure'))
                 .filter(div => div.classList.contains('js-plotly-plot') && div.querySelector('.main-svg')).length"""


def launch(playwright):
    """Debian's Chromium, headless; skip only when it is missing outside CI (scripts/test installs it)."""
    if not CHROMIUM.exists():
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is missing on CI: scripts/test installs Debian's chromium package")
        pytest.skip(f"{CHROMIUM} is missing and could not be installed (scripts/test installs it as root or with sudo)")
    return playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True)


@dataclass
class Visit:
    """What one page did in the browser."""

    errors: list[str] = field(default_factory=list)  # console errors and uncaught exceptions
    outside: list[str] = field(default_factory=list)  # requests to anything but this machine
    dialogs: list[str] = field(default_factory=list)
    declared: int = -1  # figures the page says it draws
    placeholders: int = -1  # <div class="figure"> on the page
    drawn: int = -1  # of those, rendered by plotly
    xss: str = ""  # typeof window.__xss
    text: str = ""  # the page's text, SVG labels included


def _leaves_machine(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme not in LOCAL_SCHEMES and parts.hostname not in LOCAL_HOSTS


class Tab:
    """One browser tab reused for every page: Chromium then compiles plotly.js once, not once per page."""

    def __init__(self, browser):
        self.page = browser.new_page(viewport={"width": 1280, "height": 900})
        self.seen = Visit()
        self.page.on("console", lambda m: self.seen.errors.append(f"console: {m.text}") if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.seen.errors.append(f"page error: {e}"))
        self.page.on("request", lambda r: self.seen.outside.append(r.url) if _leaves_machine(r.url) else None)
        self.page.on("dialog", lambda d: (self.seen.dialogs.append(d.message), d.dismiss()))

    def open(self, path: Path) -> Visit:
        """Load a page from its file:// URL; what it does from now on is recorded in the returned Visit."""
        self.seen = Visit()
        self.page.goto(path.as_uri(), wait_until="load")
        return self.seen

    def visit(self, path: Path, screenshot: Path | None = None) -> Visit:
        """Open a page and wait for its figures; what it did, its text, optionally a screenshot."""
        seen, page = self.open(path), self.page
        seen.declared = page.evaluate("() => Number(document.querySelector('main').dataset.figures)")
        seen.placeholders = page.evaluate("() => document.querySelectorAll('div.figure').length")
        page.wait_for_function(f"({DRAWN})() >= {seen.declared}", timeout=15_000)
        seen.drawn = page.evaluate(DRAWN)
        seen.xss = page.evaluate("() => typeof window.__xss")
        seen.text = page.evaluate("() => document.body.textContent")
        if screenshot:
            page.screenshot(path=str(screenshot), full_page=True)
        page.goto("about:blank")  # late events (dialogs, errors) of this page land in this visit
        return seen
