"""The report in a real browser (headless Chromium): offline, no errors, every chart drawn; a screenshot is kept."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

from dagster_project.cli import main
from dagster_project.home import Home
from dagster_project.pipeline import run_pipeline
from dagster_project.simulator import simulate

CHROMIUM = Path("/usr/bin/chromium")
AS_OF = datetime(2026, 3, 1, tzinfo=UTC)
ARTIFACTS = Path(os.environ.get("RECON_TEST_ARTIFACTS") or Path(__file__).resolve().parents[1] / "artifacts")

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(), reason=f"{CHROMIUM} is missing: install Chromium (Debian: apt-get install chromium)"
)


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("browser")
    sim = simulate(300, 7, root / "sim", as_of=AS_OF)
    home = Home(root / "home")
    run_pipeline(home, sim.landing, AS_OF)
    out = root / "report.html"
    assert main(["report", "--home", str(home.root), "--out", str(out)]) == 0
    return out


def test_report_renders_offline_without_errors(report):
    left_the_machine, console_errors, page_errors = [], [], []

    def only_local(route):
        if route.request.url.startswith("file://"):
            route.continue_()
        else:
            left_the_machine.append(route.request.url)
            route.abort()

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.route("**/*", only_local)
            page.on("console", lambda message: message.type == "error" and console_errors.append(message.text))
            page.on("pageerror", lambda error: page_errors.append(str(error)))
            page.goto(report.as_uri(), wait_until="load")
            charts = page.locator("svg.chart")
            names = [charts.nth(i).get_attribute("id") for i in range(charts.count())]
            boxes = {name: charts.nth(i).bounding_box() for i, name in enumerate(names)}
            visible = {name: charts.nth(i).is_visible() for i, name in enumerate(names)}
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=ARTIFACTS / "report.png", full_page=True)
        finally:
            browser.close()

    assert left_the_machine == []
    assert console_errors == []
    assert page_errors == []
    assert names == [
        "chart-match-rate",
        "chart-by-rule",
        "chart-exposure-carrier",
        "chart-exposure-region",
        "chart-drift",
        "chart-unmapped",
    ]
    assert all(visible.values()), visible
    assert all(box and box["width"] > 0 and box["height"] > 0 for box in boxes.values()), boxes
    assert (ARTIFACTS / "report.png").stat().st_size > 0
