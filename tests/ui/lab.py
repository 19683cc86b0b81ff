"""Drive the workbook in a real JupyterLab with headless Chromium (Playwright).

Used by the browser tests and by ``benchmarks/bench_ui.py``. The server serves a temporary copy of
the workbook, so running cells in the browser never touches the committed notebooks.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

WORKBOOK = Path(__file__).resolve().parents[2] / "workbook"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chromium_path() -> str | None:
    """Debian's Chromium, or None (install it with ``apt-get install -y chromium``)."""
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def lab_server():
    """Start ``jupyter lab`` on 127.0.0.1 with a random token; yields ``(base_url, token)``."""
    with tempfile.TemporaryDirectory(prefix="bp-lab-") as tmp:
        root = Path(tmp) / "workbook"
        shutil.copytree(WORKBOOK, root, ignore=shutil.ignore_patterns("*.md", ".ipynb_checkpoints"))
        settings = Path(tmp) / "settings" / "@jupyterlab" / "notebook-extension"
        settings.mkdir(parents=True)
        # render every cell (no windowing), so the whole notebook is in the page to inspect
        (settings / "tracker.jupyterlab-settings").write_text(json.dumps({"windowingMode": "none"}))
        news = Path(tmp) / "settings" / "@jupyterlab" / "apputils-extension"
        news.mkdir(parents=True)  # no "Would you like to get notified about Jupyter news?" toast
        (news / "notification.jupyterlab-settings").write_text(json.dumps({"fetchNews": "false"}))
        port, token = _free_port(), secrets.token_hex(16)
        cmd = [
            sys.executable,
            "-m",
            "jupyterlab",
            "--no-browser",
            "--ServerApp.ip=127.0.0.1",
            f"--ServerApp.port={port}",
            "--ServerApp.port_retries=0",
            f"--IdentityProvider.token={token}",
            f"--ServerApp.root_dir={root}",
            f"--LabApp.user_settings_dir={Path(tmp) / 'settings'}",
            f"--LabApp.workspaces_dir={Path(tmp) / 'workspaces'}",
        ]
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            cmd.append("--allow-root")
        log = open(Path(tmp) / "server.log", "w")
        env = {**os.environ, "JUPYTER_RUNTIME_DIR": str(Path(tmp) / "runtime")}
        server = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env)
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    request = urllib.request.Request(
                        f"{base}/api/status", headers={"Authorization": f"token {token}"}
                    )
                    with urllib.request.urlopen(request, timeout=2):
                        break
                except OSError:
                    if server.poll() is not None or time.monotonic() > deadline:
                        raise RuntimeError(f"jupyter lab did not start: see {log.name}") from None
                    time.sleep(0.25)
            yield base, token
        finally:
            server.terminate()
            try:
                server.wait(timeout=15)
            except subprocess.TimeoutExpired:
                server.kill()
            log.close()


ACTIVE = ".jp-NotebookPanel:not(.lm-mod-hidden)"  # the notebook in the current tab


def open_notebook(page, base, token, name, timeout=90_000):
    """Open a notebook alone in a workspace of its own, and wait for its kernel to be idle."""
    workspace = secrets.token_hex(4)
    page.goto(f"{base}/lab/workspaces/{workspace}/tree/{name}?token={token}")
    page.wait_for_selector(".jp-NotebookPanel .jp-Cell", timeout=timeout)
    page.wait_for_function(_KERNEL_IDLE, timeout=timeout)


_KERNEL_IDLE = """() => {
  const s = document.querySelector(
      '.jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook-ExecutionIndicator');
  return s !== null && s.getAttribute('data-status') === 'idle';
}"""

_ALL_RUN = """() => {
  const prompts = [...document.querySelectorAll(
      '.jp-NotebookPanel:not(.lm-mod-hidden) .jp-CodeCell .jp-InputPrompt')];
  return prompts.length > 0 && prompts.every(p => /\\[\\d+\\]/.test(p.textContent));
}"""


_STARTED = """() => [...document.querySelectorAll(
    '.jp-NotebookPanel:not(.lm-mod-hidden) .jp-CodeCell .jp-InputPrompt')]
  .some(p => /\\[(\\*|\\d+)\\]/.test(p.textContent))"""


def menu(page, menu_name: str, item: str) -> None:
    """Choose ``item`` in the menu bar's ``menu_name`` menu and wait for the menu to close."""
    page.click(f".lm-MenuBar-itemLabel:text-is('{menu_name}')")
    page.click(f".lm-Menu-itemLabel:text-is('{item}')")
    page.wait_for_selector(".lm-Menu", state="detached", timeout=5_000)


def run_all_cells(page, timeout=120_000):
    """Clear the stored outputs, run every cell, wait until each has a prompt number and idles.

    A click that lands while the menu is still opening is lost, so "Run All Cells" is chosen
    again (up to three times) until some cell has started.
    """
    menu(page, "Edit", "Clear Outputs of All Cells")
    for attempt in range(3):
        menu(page, "Run", "Run All Cells")
        try:
            page.wait_for_function(_STARTED, timeout=15_000)
            break
        except Exception:
            if attempt == 2:
                raise AssertionError(
                    f"Run All Cells did not start; prompts: {page.evaluate(_PROMPTS)}"
                ) from None
    try:
        page.wait_for_function(_ALL_RUN, timeout=timeout)
        page.wait_for_function(_KERNEL_IDLE, timeout=timeout)
    except Exception as err:
        prompts = page.evaluate(_PROMPTS)
        raise AssertionError(f"the notebook did not finish running; prompts: {prompts}") from err


_PROMPTS = """() => [...document.querySelectorAll(
    '.jp-NotebookPanel:not(.lm-mod-hidden) .jp-CodeCell .jp-InputPrompt')]
  .map(p => p.textContent.trim()).join(' ')"""


def page_problems(page) -> list[str]:
    """Error outputs and widgets that did not render, as readable strings."""
    problems = []
    for out in page.query_selector_all(
        ".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']"
    ):
        problems.append("error output: " + out.inner_text()[:300])
    text = page.inner_text(".jp-NotebookPanel:not(.lm-mod-hidden)")
    for bad in ("Loading widget...", "Error displaying widget"):
        if bad in text:
            problems.append(f"widget not rendered: {bad!r}")
    return problems


def explorer(page):
    return page.wait_for_selector(".bp-explorer", timeout=30_000)


def readout_text(page) -> str:
    return page.inner_text(".bp-explorer .bp-readout pre")


def image_source(page) -> str:
    return page.get_attribute(".bp-explorer .bp-image", "src")


def wait_for_new_image(page, old_source: str, timeout=10_000) -> None:
    """Wait until the explorer's image is replaced (it arrives just after the readout's text)."""
    page.wait_for_function(
        "(old) => document.querySelector('.bp-explorer .bp-image').src !== old",
        arg=old_source,
        timeout=timeout,
    )


def image_digest(page) -> tuple[int, int]:
    """Length and a hash of the explorer image's bytes, read from its blob URL in the page."""
    return tuple(
        page.evaluate("""async () => {
      const img = document.querySelector('.bp-explorer .bp-image');
      const bytes = new Uint8Array(await (await fetch(img.src)).arrayBuffer());
      let h = 0;
      for (const b of bytes) h = (h * 31 + b) >>> 0;
      return [bytes.length, h];
    }""")
    )


def control_values(page) -> list[str]:
    """The shown value of every control of the explorer, in order (slider readout or selection)."""
    return page.evaluate("""() => [...document.querySelectorAll(
        '.bp-explorer .bp-controls .widget-inline-hbox')]
      .map(w => { const r = w.querySelector('.widget-readout');
                  if (r) return r.textContent.trim();
                  const s = w.querySelector('select');
                  return s ? s.options[s.selectedIndex].textContent.trim() : null; })
      .filter(v => v !== null)""")  # a progress bar has no value to read


def type_into_readout(page, index: int, text: str) -> None:
    """Type a value into the readout of the explorer's ``index``-th slider and press Enter."""
    readout = page.query_selector_all(".bp-explorer .bp-controls .widget-readout")[index]
    readout.click()
    page.keyboard.press("Control+A")
    page.keyboard.type(text)
    page.keyboard.press("Enter")


def press_on_slider(page, index: int, key: str = "ArrowRight") -> float | None:
    """Press a key on the explorer's ``index``-th slider; returns ms until its readout changed,
    or None when nothing changed within 5 s (the slider was already at that end)."""
    handle = page.query_selector_all(".bp-explorer .bp-controls .noUi-handle")[index]
    handle.focus()
    page.evaluate(
        """(handle) => {
      window.__bp = {};
      handle.addEventListener('keydown', () => { window.__bp.t0 = performance.now(); },
                              {once: true, capture: true});
      const readout = document.querySelector('.bp-explorer .bp-readout');
      window.__bp.done = new Promise(resolve => {
        const obs = new MutationObserver(() => { obs.disconnect(); resolve(performance.now()); });
        obs.observe(readout, {subtree: true, childList: true, characterData: true});
        setTimeout(() => { obs.disconnect(); resolve(null); }, 5000);
      });
    }""",
        handle,
    )
    handle.press(key)
    return page.evaluate(
        "async () => { const t = await window.__bp.done;"
        " return t === null ? null : t - window.__bp.t0; }"
    )
