"""Fixtures of the browser tests: one JupyterLab server and one headless Chromium per session."""

import tempfile
from pathlib import Path

import pytest

from .lab import CHROMIUM_ARGS, chromium_path, lab_server


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
        browser = pw.chromium.launch(executable_path=chromium, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, request):
    """A fresh page; on failure its screenshot and console log go to a folder the error names."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    console = []
    page.on("console", lambda message: console.append(f"[{message.type}] {message.text}"))
    page.on("pageerror", lambda error: console.append(f"[pageerror] {error}"))
    page.console = console
    yield page
    report = getattr(request.node, "report_call", None)
    if report is not None and report.failed:
        folder = Path(tempfile.mkdtemp(prefix=f"bp-ui-{request.node.name[:40]}-"))
        page.screenshot(path=str(folder / "screenshot.png"), full_page=True)
        (folder / "console.log").write_text("\n".join(console))
        report.sections.append(("browser artefacts", f"screenshot and console log in {folder}"))
        print(f"\nbrowser artefacts of {request.node.name}: {folder}")
    context.close()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.when == "call":
        item.report_call = report
