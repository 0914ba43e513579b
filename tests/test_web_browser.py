"""The page in a real browser: `symgrad serve` in a subprocess, driven by headless Chromium
(Debian's chromium through playwright). A student types a function and a wrong answer with the
keyboard; the test reads the rendered verdict, counterexample, KaTeX output and plot, checks the
numbers by hand, takes screenshots into the test's folder, and asserts that no request left
127.0.0.1."""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any, Iterator
from urllib.parse import urlparse

import pytest
import sympy  # noqa: F401  (imported now: sg.verify below needs it, and an import inside
              # playwright's greenlet-driven event loop leaves a file to the garbage collector)

import symgrad as sg
from web_support import chromium, require, served

require("starlette", "pip install 'symgrad[web]'")
require("uvicorn", "pip install 'symgrad[web]'")
require("matplotlib", "pip install 'symgrad[web]'")
sync_api = require("playwright.sync_api", "pip install playwright (the browser is Debian's chromium)")

WAIT_MS = 90_000   # a cold worker on a loaded machine imports SymPy and matplotlib first


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    executable = chromium()
    with sync_api.sync_playwright() as playwright:
        # --no-sandbox: CI containers run as root, where Chromium's sandbox cannot start.
        launched = playwright.chromium.launch(executable_path=executable, headless=True,
                                              args=["--no-sandbox"])
        yield launched
        launched.close()


@pytest.fixture(scope="module")
def url() -> Iterator[str]:
    with served() as (address, _):
        yield address


class Session:
    """A page at a viewport size, with every request the browser made."""

    def __init__(self, browser: Any, url: str, width: int, height: int) -> None:
        self.context = browser.new_context(viewport={"width": width, "height": height})
        self.requests: list[str] = []
        self.context.on("request", lambda request: self.requests.append(request.url))
        self.page = self.context.new_page()
        self.page.set_default_timeout(WAIT_MS)
        self.page.goto(url)

    def hosts_left(self) -> list[str]:
        """Requests to anywhere but 127.0.0.1 (data: URLs are no request on the network)."""
        return [address for address in self.requests
                if not address.startswith("data:") and urlparse(address).hostname != "127.0.0.1"]


@pytest.fixture()
def phone(browser: Any, url: str) -> Iterator[Session]:
    session = Session(browser, url, 390, 844)
    yield session
    session.context.close()


def _numbers(text: str) -> list[float]:
    return [float(item) for item in re.findall(r"-?\d+(?:\.\d+)?(?:e[-+]?\d+)?", text)]


def test_a_wrong_answer_gets_a_verdict_counterexample_katex_and_plot(phone: Session, tmp_path: Path) -> None:
    page = phone.page
    # The keyboard only: type the function, Tab to the answer, Enter submits.
    page.focus("#function")
    page.keyboard.type("x^2 sin x")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "answer"
    page.keyboard.type("2x cos x")   # the product rule forgotten
    page.wait_for_selector("#function-preview .katex")
    page.wait_for_selector("#answer-preview .katex")
    page.keyboard.press("Enter")

    page.wait_for_selector("#verdict-status")
    assert page.inner_text("#verdict-status") == "Wrong"
    expected = sg.verify("x^2 sin x", "2x cos x", "x").to_dict()
    assert expected["status"] == "wrong"

    # The counterexample, checked by hand: f'(x) = 2x sin x + x^2 cos x, the answer 2x cos x.
    counterexample = page.inner_text("#counterexample")
    x, shown_expected, shown_claimed = _numbers(counterexample.split("at", 1)[1])[:3]
    assert "x = " in counterexample
    assert shown_expected == pytest.approx(2 * x * math.sin(x) + x * x * math.cos(x), rel=1e-8, abs=1e-9)
    assert shown_claimed == pytest.approx(2 * x * math.cos(x), rel=1e-8, abs=1e-9)
    assert not math.isclose(shown_expected, shown_claimed, rel_tol=1e-6)
    if expected["diagnosis"]:
        assert expected["diagnosis"] in page.inner_text("#diagnosis")

    # KaTeX rendered the function as typed and the derivative; its annotation keeps the source.
    page.wait_for_selector("#derivative .katex")
    source = page.eval_on_selector("#derivative annotation", "node => node.textContent")
    assert sg.diff("x^2 sin x", "x").latex() in source
    assert page.eval_on_selector_all(".katex", "nodes => nodes.length") >= 4
    assert page.evaluate("document.fonts.check('20px KaTeX_Main')")  # the vendored font loaded

    # The steps and the plot (an SVG image the browser decoded).
    assert page.eval_on_selector_all("#steps li", "nodes => nodes.length") >= 3
    page.wait_for_selector("#plot[src^='data:image/svg+xml']")
    # (wait_for_function would evaluate a string, which the page's policy refuses: no eval)
    page.wait_for_selector("#plot:not([hidden])")
    assert page.eval_on_selector("#plot", "image => image.decode().then(() => image.naturalWidth)") > 0
    assert "your answer" in page.get_attribute("#plot", "alt")

    # A phone-sized screen: nothing wider than the screen but the scrolling formulas.
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    page.screenshot(path=str(tmp_path / "phone.png"), full_page=True)
    page.set_viewport_size({"width": 1200, "height": 900})
    page.screenshot(path=str(tmp_path / "desktop.png"), full_page=True)
    assert (tmp_path / "phone.png").stat().st_size > 10_000

    assert any(address.endswith("/api/verify") for address in phone.requests)
    assert phone.hosts_left() == []


def test_a_parse_error_shows_the_caret_message_under_the_input(phone: Session, tmp_path: Path) -> None:
    page = phone.page
    page.focus("#function")
    page.keyboard.type("x^2 +* sin x")
    page.wait_for_selector("#function-error:not([hidden])")
    message = page.inner_text("#function-error")
    assert "line 1, column 6" in message
    assert message.splitlines()[-1].strip() == "^"
    assert str(pytest.raises(sg.ParseError, sg.parse, "x^2 +* sin x").value) in message
    page.screenshot(path=str(tmp_path / "error.png"))
    # Fixing the text clears the error and renders the formula.
    page.fill("#function", "x^2 + sin x")
    page.wait_for_selector("#function-error", state="hidden")
    page.wait_for_selector("#function-preview .katex")
    assert phone.hosts_left() == []


def test_a_right_answer_and_the_variable_picker(phone: Session) -> None:
    page = phone.page
    page.fill("#function", "a x^3 + y")
    page.wait_for_selector("#wrt option[value='y']", state="attached")
    assert page.eval_on_selector_all("#wrt option", "nodes => nodes.map(n => n.value)") == ["a", "x", "y"]
    page.select_option("#wrt", "x")
    page.fill("#answer", "3a x^2")
    page.click("#go")
    page.wait_for_selector("#verdict-status")
    assert page.inner_text("#verdict-status") == "Correct"
    assert page.query_selector("#counterexample") is None
    assert phone.hosts_left() == []


def test_latex_input_mode(phone: Session) -> None:
    page = phone.page
    page.check("input[name='input'][value='latex']")
    page.fill("#function", r"\frac{1}{x} + \sin^{2} x")
    page.fill("#answer", r"-\frac{1}{x^{2}} + 2\sin x \cos x")
    page.wait_for_selector("#function-preview .katex")
    page.click("#go")
    page.wait_for_selector("#verdict-status")
    assert page.inner_text("#verdict-status") == "Correct"
    source = page.eval_on_selector("#derivative annotation", "node => node.textContent")
    assert sg.diff(sg.parse_latex(r"\frac{1}{x} + \sin^{2} x"), "x").latex() in source
    assert phone.hosts_left() == []
