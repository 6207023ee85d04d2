"""Debian's Chromium through Playwright (never a downloaded browser build), axe-core from the
npm registry (node_modules, installed by `make setup`), and the checks every page meets."""

from __future__ import annotations

import re
from contextlib import contextmanager
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = ROOT / "artifacts"
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]
WIDE, NARROW = 1280, 320

# What a person must never read on a page: the code's names for things.
CODE_NAMES = {
    "a snake_case name": re.compile(r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b"),
    "None, True or False": re.compile(r"\b(?:None|True|False)\b"),
    "a brace": re.compile(r"[{}]"),
    "an ISO date": re.compile(r"\b\d{4}-\d{2}-\d{2}\b"),
    "a period code": re.compile(r"\b\d{4}-Q[1-4]\b"),
}


@contextmanager
def chromium():
    """One browser (for a whole test module); pages are opened in it with `open_page`."""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        try:
            yield browser
        finally:
            browser.close()


def open_page(browser, width: int = WIDE):
    """A page in a context of its own (its own cookies), recording console and page errors."""
    context = browser.new_context(viewport={"width": width, "height": 900},
                                  accept_downloads=True)
    page = context.new_page()
    page.problems = []  # console errors and page errors seen
    page.on("console", lambda m: m.type == "error" and page.problems.append(m.text))
    page.on("pageerror", lambda e: page.problems.append(str(e)))
    return page


@contextmanager
def chromium_page(width: int = WIDE):
    with chromium() as browser:
        page = open_page(browser, width)
        try:
            yield page
        finally:
            page.context.close()


def screenshot(page, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def axe_violations(page) -> list[str]:
    """axe-core's WCAG 2.2 AA rules on the page as it is (evaluated through the browser's
    debugging protocol, so the page's Content-Security-Policy does not block it)."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(AXE.read_text(encoding="utf-8"))
    found = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})"
        ".then(r => r.violations.map(v => v.id + ': ' + v.help + ' at ' +"
        " v.nodes.map(n => n.target.join(' ')).join(', ')))", AXE_TAGS)
    return list(found)


def code_names(text: str) -> list[str]:
    """Every code name in `text`, with what it looks like."""
    found = []
    for what, pattern in CODE_NAMES.items():
        found += [f"{what}: {m.group(0)!r} in …{text[max(0, m.start() - 40):m.end() + 40]}…"
                  for m in pattern.finditer(text)]
    return found


def readable_text(page) -> str:
    """What a person can read: the visible text, and the text of parts a click reveals
    (conditional questions, details) and of pictures (SVG titles and labels)."""
    return page.evaluate("""() => {
        const main = document.querySelector('main');
        const hidden = main ? Array.from(main.querySelectorAll(
            '.govuk-radios__conditional, .govuk-details__text, svg'))
            .map(e => e.textContent).join('\\n') : '';
        return document.body.innerText + '\\n' + hidden + '\\n' + document.title;
    }""")


def overflows(page) -> int:
    """How many pixels the page is wider than the window (WCAG reflow: none at 320 px)."""
    return page.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth")
