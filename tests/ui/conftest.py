"""Fixtures of the browser tests: one JupyterLab server, one headless Chromium and one page with
JupyterLab loaded, for the whole session; each test opens its notebook in that page."""

import contextlib
import tempfile
from pathlib import Path

import pytest

from tools.lab import VIEWPORT, chromium_path, close_notebooks, lab_server, launch, open_lab


@pytest.fixture(scope="session")
def chromium():
    path = chromium_path()
    if path is None:
        pytest.skip("browser tests need Chromium: apt-get install -y chromium (.ci/run does this)")
    return path


@pytest.fixture(scope="session")
def lab(chromium):
    with lab_server() as (base, token):
        yield base, token


@pytest.fixture(scope="session")
def browser(chromium):
    sync_api = pytest.importorskip("playwright.sync_api", reason="pip install playwright")
    with sync_api.sync_playwright() as pw:
        browser = launch(pw, chromium)
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def lab_page(lab, browser):
    """JupyterLab, loaded once; ``lab_page.console`` collects the page's console messages."""
    page = browser.new_page(viewport=VIEWPORT)
    page.console = []
    page.on("console", lambda message: page.console.append(f"[{message.type}] {message.text}"))
    page.on("pageerror", lambda error: page.console.append(f"[pageerror] {error}"))
    open_lab(page, *lab)
    yield page
    page.close()


@pytest.fixture
def page(lab_page, lab, request):
    """JupyterLab with no notebook open. On failure the page's screenshot and console log go to
    a folder the error names, and JupyterLab is loaded afresh for the next test."""
    lab_page.console = []
    yield lab_page
    report = getattr(request.node, "report_call", None)
    if report is not None and report.failed:
        folder = Path(tempfile.mkdtemp(prefix=f"bp-ui-{request.node.name[:40]}-"))
        lab_page.screenshot(path=str(folder / "screenshot.png"), full_page=True)
        (folder / "console.log").write_text("\n".join(lab_page.console))
        report.sections.append(("browser artefacts", f"screenshot and console log in {folder}"))
        print(f"\nbrowser artefacts of {request.node.name}: {folder}")
        with contextlib.suppress(Exception):  # stop its kernel if the page still answers
            close_notebooks(lab_page)
        open_lab(lab_page, *lab)
    else:
        close_notebooks(lab_page)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.when == "call":
        item.report_call = report
