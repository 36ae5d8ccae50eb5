"""The dashboard in a real browser (headless Chromium through Playwright): it connects, shows
live figures, prices the order typed into the form, and lays out at laptop and narrow widths."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.serve.conftest import Served

playwright_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
CHROMIUM = (
    os.environ.get("TRADECOST_CHROMIUM")
    or shutil.which("chromium")
    or shutil.which("chromium-browser")
)
pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="no Chromium (apt-get install chromium; scripts/test.sh does)"
)


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with playwright_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"]
        )
        yield browser
        browser.close()


def _text(page: object, selector: str) -> str:
    return page.locator(selector).inner_text()  # type: ignore[attr-defined, no-any-return]


def test_the_page_goes_live_and_prices_the_form(
    served: Served, browser: object, tmp_path: Path
) -> None:
    page = browser.new_page(viewport={"width": 1366, "height": 800})  # type: ignore[attr-defined]
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: msg.type == "error" and errors.append(msg.text))
    page.goto(served.url + "/")
    page.wait_for_function("document.getElementById('o-net').textContent.includes('bps')")
    assert _text(page, "#connection") == "live"
    assert "$" in _text(page, "#o-net")
    assert "µs" in _text(page, "#o-latency")
    assert "msgs" in _text(page, "#health")
    # the symbols the feeds deliver fill the form
    options = page.locator("#f-symbol option").all_inner_texts()
    assert set(options) == {"BTC-USDT", "ETH-USDT"}

    # type a bigger order: the figures follow (a $5M buy walks more levels than $100k)
    levels_small = int(_text(page, "#o-levels").split()[0])
    page.fill("input[name=usd]", "5000000")
    page.wait_for_function(
        f"parseInt(document.getElementById('o-levels').textContent) > {levels_small}"
    )
    # a bad input is reported on the page, not swallowed
    page.fill("input[name=volatility]", "-1")
    page.wait_for_function("!document.getElementById('order-error').hidden")
    assert "volatility" in _text(page, "#order-error")
    page.fill("input[name=volatility]", "")
    page.wait_for_function("document.getElementById('order-error').hidden")
    shot = Path(os.environ.get("TRADECOST_SCREENSHOTS", tmp_path)) / "dashboard.png"
    page.screenshot(path=str(shot), full_page=True)
    assert errors == []
    page.close()


def test_the_page_fits_a_narrow_window(served: Served, browser: object) -> None:
    page = browser.new_page(viewport={"width": 800, "height": 900})  # type: ignore[attr-defined]
    page.goto(served.url + "/")
    page.wait_for_function("document.getElementById('o-net').textContent.includes('bps')")
    # nothing overflows sideways: the panels stack
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0
    page.close()
