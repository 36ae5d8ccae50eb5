"""The dashboard in a real browser (headless Chromium through Playwright): it connects, shows
live figures, prices the order typed into the form, and lays out at laptop and narrow widths."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.serve.conftest import Served, start_serve, wait_for

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


def _watch(page: object) -> tuple[list[str], list[str]]:
    """Console errors and page errors; every URL the page requested."""
    errors: list[str] = []
    requests: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))  # type: ignore[attr-defined]
    page.on(  # type: ignore[attr-defined]
        "console", lambda msg: msg.type == "error" and errors.append(msg.text)
    )
    page.on("request", lambda request: requests.append(request.url))  # type: ignore[attr-defined]
    return errors, requests


def _svg(page: object, selector: str) -> str:
    return page.locator(f"{selector} svg").inner_html()  # type: ignore[attr-defined, no-any-return]


def _wait_for_pairs(page: object) -> None:
    # the panel shows once analytics are published; the z-score has values once a window is full
    page.wait_for_selector("#pairs", state="visible", timeout=60_000)  # type: ignore[attr-defined]
    page.wait_for_function(  # type: ignore[attr-defined]
        "document.querySelector('#c-zscore svg path[d^=M]') !== null", timeout=60_000
    )
    page.wait_for_function(  # type: ignore[attr-defined]
        "(t => t.includes('p-value') && !t.includes('waiting'))"
        "(document.getElementById('adf').textContent)",
        timeout=60_000,
    )


def test_the_pairs_panel_goes_live(served: Served, browser: object, tmp_path: Path) -> None:
    page = browser.new_page(viewport={"width": 1440, "height": 900})  # type: ignore[attr-defined]
    errors, requests = _watch(page)
    page.goto(served.url + "/")
    _wait_for_pairs(page)
    # the charts follow the bars: the SVGs change between two samples
    before = {name: _svg(page, name) for name in ("#c-prices", "#c-spread", "#c-zscore")}
    page.wait_for_function(
        "document.querySelector('#c-zscore svg').innerHTML !== "
        + repr(before["#c-zscore"]).replace("\\'", "\\u0027"),
        timeout=30_000,
    )
    after = {name: _svg(page, name) for name in before}
    assert all(after[name] != before[name] for name in before)
    for name in ("#c-prices", "#c-spread", "#c-zscore"):
        assert page.locator(f"{name} svg path").count() >= 1
    assert page.locator("#c-volume svg rect").count() > 5  # volume bars
    assert page.locator("#c-zscore svg line.hline").count() == 3  # +entry, -entry, 0
    # the analytics table, the stationarity tests and the signal are filled
    analytics = _text(page, "#analytics")
    assert "hedge ratio β" in analytics and "z-score" in analytics
    tests = _text(page, "#adf")
    assert "ADF (spread)" in tests and "Engle–Granger" in tests
    statistic = page.locator("#adf tbody tr").first.locator("td").all_inner_texts()
    assert statistic[0] == "statistic"
    assert all(float(value.replace(",", "")) < 50 for value in statistic[1:])  # two numbers
    assert any(w in tests for w in ("stationary", "unit root not rejected"))
    assert _text(page, "#signal") in {"flat"} or "the spread" in _text(page, "#signal")
    assert "ETHUSDT on BTCUSDT" in _text(page, "#pairs-title")

    # the download links return CSV files
    with page.expect_download() as download:
        page.click("#dl-analytics")
    path = download.value.path()
    header = Path(path).read_text().splitlines()[0]
    assert header.startswith("ts_ns,y_close,x_close")
    assert download.value.suggested_filename == "ETHUSDT_BTCUSDT_1s_analytics.csv"
    with page.expect_download() as download:
        page.click("#dl-bars")
    assert Path(download.value.path()).read_text().startswith("ts_ns,open,high,low,close")

    # the upload form stores bars and says so; a bad file is reported, not swallowed
    good = tmp_path / "bars.csv"
    good.write_text(
        "ts_s,open,high,low,close,volume\n"
        + "".join(f"{1_700_000_040 + 60 * i},10,11,9,10.5,3\n" for i in range(25))
    )
    page.fill("#upload input[name=symbol]", "PAGE-UPLOAD")
    page.set_input_files("#upload input[type=file]", str(good))
    page.click("#upload button")
    page.wait_for_function("document.getElementById('upload-result').textContent.length > 0")
    assert _text(page, "#upload-result") == "stored 25 bars for PAGE-UPLOAD"
    assert errors == []
    bad = tmp_path / "bad.csv"
    bad.write_text("ts_s,open\n1,2\n")
    page.set_input_files("#upload input[type=file]", str(bad))
    page.click("#upload button")
    page.wait_for_function("document.getElementById('upload-result').textContent.includes('error')")
    assert "high" in _text(page, "#upload-result") or "close" in _text(page, "#upload-result")
    # the refused upload is the only error Chromium logs
    assert errors == [
        "Failed to load resource: the server responded with a status of 400 (Bad Request)"
    ]
    assert requests
    outside = [url for url in requests if not url.startswith(served.url + "/")]
    assert outside == [], outside
    page.close()


SIZES = {"1366x768": (1366, 768), "1440x900": (1440, 900)}


def test_screenshots_of_each_panel(served: Served, browser: object, tmp_path: Path) -> None:
    """docs/img/serve-*.png: ``TRADECOST_SCREENSHOTS=docs/img pytest ... -k screenshot`` runs
    its own demo with the default pairs window (60 bars) for about three minutes first, so
    the pictures show what a user sees; without it, the shared server is used."""
    folder_name = os.environ.get("TRADECOST_SCREENSHOTS")
    folder = Path(folder_name or tmp_path)
    server = served
    if folder_name:
        server = start_serve("--pair-window", "60", "--pair-period", "1")
        wait_for(
            lambda: httpx.get(server.url + "/api/pairs", timeout=10).json()["bars"] >= 180,
            timeout=400,
            interval=2.0,
        )
    try:
        for name, (width, height) in SIZES.items():
            page = browser.new_page(viewport={"width": width, "height": height})  # type: ignore[attr-defined]
            errors, _ = _watch(page)
            page.goto(server.url + "/")
            page.wait_for_function("document.getElementById('o-net').textContent.includes('bps')")
            _wait_for_pairs(page)
            page.wait_for_function(
                "document.querySelectorAll('#alerts li').length > 0", timeout=60_000
            )
            # nothing overflows sideways at a laptop size
            assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
            page.screenshot(path=str(folder / f"serve-{name}.png"))
            if name == "1440x900":
                page.locator("#cost").screenshot(path=str(folder / "serve-cost-panel.png"))
                page.locator("#pairs").screenshot(path=str(folder / "serve-pairs-panel.png"))
            assert errors == []
            page.close()
    finally:
        if server is not served:
            server.stop()
