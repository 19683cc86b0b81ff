"""Drive the workbook in a real JupyterLab with headless Chromium (Playwright).

One server serves a temporary copy of the workbook, so running cells in the browser never touches
the committed notebooks. One page shows JupyterLab; notebooks are opened, run and closed in it with
JupyterLab's own commands (the server exposes the application to the page as
``window.jupyterapp``), so JupyterLab loads once, not once per notebook, and no click on a menu
that is still opening can be lost::

    with lab_page(chromium_path()) as page:
        open_notebook(page, "05-ReLU-Gradient.ipynb")
        run_all_cells(page)
        print(readout_text(page))

``python -m tools.lab`` (``make lab``) starts JupyterLab for a reader with the same
:func:`lab_arguments`: Start Here open, no news pop-up, the Markdown twins out of the file browser.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

WORKBOOK = Path(__file__).resolve().parents[1] / "workbook"
# JupyterLab's default settings for the workbook (overrides.json): no news and no update check,
# so no pop-up covers the first notebook. A reader's own changes still go to their user settings.
LAB_SETTINGS = Path(__file__).resolve().parent / "lab-settings"
START = "00-Start-Here.ipynb"  # the notebook JupyterLab opens
# The Markdown twins are for review and jupytext; the file browser lists only the notebooks.
# Hiding keeps a file out of listings only: jupytext still reads and writes the twin.
HIDDEN = ("__pycache__", "*.pyc", "*.pyo", ".DS_Store", "*~", "*.md")
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
VIEWPORT = {"width": 1400, "height": 1000}
ACTIVE = ".jp-NotebookPanel:not(.lm-mod-hidden)"  # the notebook in the current tab


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


def lab_arguments(root: Path) -> list[str]:
    """What ``make lab`` and the browser tests give ``jupyter lab``: the notebooks of ``root``,
    :data:`START` opened on arrival, the settings of :data:`LAB_SETTINGS` and :data:`HIDDEN`."""
    return [
        f"--ServerApp.root_dir={root}",
        f"--LabApp.default_url=/lab/tree/{START}",
        f"--LabApp.app_settings_dir={LAB_SETTINGS}",
        *(f"--ContentsManager.hide_globs={pattern}" for pattern in HIDDEN),
    ]


def _write_settings(folder: Path) -> None:
    """User settings of the served JupyterLab in the tests: no windowing."""
    for plugin, settings in (
        # render every cell (no windowing), so the whole notebook is in the page to inspect
        ("notebook-extension/tracker", {"windowingMode": "none"}),
    ):
        path = folder / "@jupyterlab" / f"{plugin}.jupyterlab-settings"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(settings))


def stop(server: subprocess.Popen) -> None:
    """Ask a server started by these tools to stop; kill it if it has not within 15 s."""
    server.terminate()
    try:
        server.wait(timeout=15)
    except subprocess.TimeoutExpired:
        server.kill()


def trust(root: Path) -> list[str]:
    """Sign the notebooks of ``root`` as trusted, as ``jupyter trust`` does; their names.

    JupyterLab draws a notebook's saved widget state only when the notebook is trusted; an
    untrusted one shows the explorer as a line of Python (``VBox(children=...``) until it runs.
    The workbook's own notebooks are ours, so ``make lab`` trusts them.
    """
    import nbformat
    from nbformat.sign import NotebookNotary

    notary = NotebookNotary()
    signed = []
    for path in sorted(Path(root).glob("*.ipynb")):
        notary.sign(nbformat.read(path, as_version=4))
        signed.append(path.name)
    return signed


@contextlib.contextmanager
def lab_server(workbook: Path = WORKBOOK, copy: bool = True):
    """Start ``jupyter lab`` on 127.0.0.1 with a random token; yields ``(base_url, token)``.

    It serves a copy of ``workbook`` without the Markdown twins, or with ``copy=False`` the
    folder ``workbook`` itself (a temporary one the caller made)."""
    with tempfile.TemporaryDirectory(prefix="bp-lab-") as tmp:
        root, settings = Path(tmp) / "workbook", Path(tmp) / "settings"
        if copy:
            shutil.copytree(
                workbook, root, ignore=shutil.ignore_patterns("*.md", ".ipynb_checkpoints")
            )
        else:
            root = Path(workbook)
        _write_settings(settings)
        trust(root)
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
            *lab_arguments(root),
            f"--LabApp.user_settings_dir={settings}",
            f"--LabApp.workspaces_dir={Path(tmp) / 'workspaces'}",
            "--LabApp.expose_app_in_browser=True",
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
            stop(server)
            log.close()


def launch(playwright, chromium: str):
    """Headless ``chromium`` (a path) with the arguments it needs in a container."""
    return playwright.chromium.launch(executable_path=chromium, headless=True, args=CHROMIUM_ARGS)


@contextlib.contextmanager
def lab_page(chromium: str, viewport: dict = VIEWPORT):
    """A server, a browser and one page with JupyterLab loaded in it; yields the page."""
    from playwright.sync_api import sync_playwright

    with lab_server() as (base, token), sync_playwright() as pw:
        browser = launch(pw, chromium)
        try:
            page = browser.new_page(viewport=viewport)
            open_lab(page, base, token)
            yield page
        finally:
            browser.close()


def _in_app(body: str) -> str:
    """A page function ``([arg, ms]) => ...`` running the async JavaScript ``body``, which sees
    ``app`` (JupyterLab) and ``arg``; it fails if ``body`` has not finished after ``ms`` ms."""
    return (
        "async ([arg, ms]) => { const app = window.jupyterapp;\n"
        f"const work = (async () => {{\n{body}\n}})();\n"
        "const late = new Promise((_, fail) => setTimeout(\n"
        "  () => fail(new Error(`no answer from JupyterLab within ${ms} ms`)), ms));\n"
        "return await Promise.race([work, late]); }"
    )


_OPEN = _in_app("""
  const panel = await app.commands.execute('docmanager:open', {path: arg, factory: 'Notebook'});
  await panel.context.ready;
  await panel.sessionContext.ready;
  await panel.sessionContext.session.kernel.info;  // the kernel answers: it has started""")

_RUN_ALL = _in_app("""
  await app.commands.execute('notebook:clear-all-cell-outputs');
  return await app.commands.execute('notebook:run-all-cells');  // false if a cell failed""")

# Dispose of (rather than close) each tab, which would ask whether to save the changed notebook;
# the kernels shut down in the background.
_CLOSE_ALL = _in_app("""
  for (const widget of Array.from(app.shell.widgets('main'))) {
    if (widget.sessionContext) widget.sessionContext.shutdown().catch(() => {});
    widget.dispose();
  }""")


def open_lab(page, base: str, token: str, timeout: int = 90_000) -> None:
    """Load JupyterLab, in a workspace of its own, into ``page``; wait until it is restored."""
    page.goto(f"{base}/lab/workspaces/{secrets.token_hex(4)}?token={token}")
    page.wait_for_function("() => window.jupyterapp !== undefined", timeout=timeout)
    page.evaluate(_in_app("await app.started; await app.restored;"), [None, timeout])


def open_notebook(page, name: str, timeout: int = 90_000) -> None:
    """Open the notebook ``name`` (a path in the workbook) and wait until its kernel answers."""
    page.evaluate(_OPEN, [name, timeout])
    page.wait_for_selector(f"{ACTIVE} .jp-Cell", timeout=timeout)


def close_notebooks(page) -> None:
    """Close every open tab without saving, shutting down the notebooks' kernels."""
    page.evaluate(_CLOSE_ALL, [None, 10_000])


_PROMPTS = f"""() => [...document.querySelectorAll('{ACTIVE} .jp-CodeCell .jp-InputPrompt')]
  .map(p => p.textContent.trim())"""


def run_all_cells(page, timeout: int = 120_000) -> None:
    """Clear the outputs of the current notebook and run all its cells; fail, naming the prompts
    and the errors shown, unless every code cell ran without an error."""
    try:
        succeeded, late = page.evaluate(_RUN_ALL, [None, timeout]), ""
    except Exception as err:  # still running after ``timeout`` ms
        succeeded, late = False, f" ({err})"
    prompts = page.evaluate(_PROMPTS)
    if not succeeded or not all(re.fullmatch(r"\[\d+\]:", p) for p in prompts):
        raise AssertionError(
            f"the notebook did not run to the end{late}; prompts: {' '.join(prompts)}; "
            f"shown: {page_problems(page)}"
        )


def page_problems(page) -> list[str]:
    """Error outputs and widgets that did not render, as readable strings."""
    problems = []
    for out in page.query_selector_all(
        f"{ACTIVE} .jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']"
    ):
        problems.append("error output: " + out.inner_text()[:300])
    text = page.inner_text(ACTIVE)
    for bad in ("Loading widget...", "Error displaying widget"):
        if bad in text:
            problems.append(f"widget not rendered: {bad!r}")
    return problems


def explorer(page):
    """The explorer's element, once it is shown."""
    return page.wait_for_selector(".bp-explorer", timeout=30_000)


def readout_text(page) -> str:
    return page.inner_text(".bp-explorer .bp-readout pre")


def image_source(page) -> str:
    return page.get_attribute(".bp-explorer .bp-image", "src")


def wait_for_new_text(page, old_text: str, timeout: int = 10_000) -> None:
    """Wait until the explorer's readout shows something other than ``old_text``."""
    page.wait_for_function(
        "(old) => document.querySelector('.bp-explorer .bp-readout pre').innerText !== old",
        arg=old_text,
        timeout=timeout,
    )


def wait_for_new_image(page, old_source: str, timeout: int = 10_000) -> None:
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
    """Type a value into the explorer's ``index``-th slider readout and press Enter."""
    readout = page.query_selector_all(".bp-explorer .bp-controls .widget-readout")[index]
    readout.click()
    page.keyboard.press("Control+A")
    page.keyboard.type(text)
    page.keyboard.press("Enter")


ARM_SLIDER = """([handle, timeout]) => {
  window.__bp = {};
  handle.addEventListener('keydown', () => { window.__bp.t0 = performance.now(); },
                          {once: true, capture: true});
  const readout = document.querySelector('.bp-explorer .bp-readout');
  window.__bp.done = new Promise(resolve => {
    const obs = new MutationObserver(() => { obs.disconnect(); resolve(performance.now()); });
    obs.observe(readout, {subtree: true, childList: true, characterData: true});
    setTimeout(() => { obs.disconnect(); resolve(null); }, timeout);
  });
}"""


def arm_slider(page, index: int, timeout_ms: int = 5000):
    """Focus the explorer's ``index``-th slider handle and start timing: from the next key
    pressed on it to the first change of the readout (see :func:`slider_latency`)."""
    handle = page.query_selector_all(".bp-explorer .bp-controls .noUi-handle")[index]
    handle.focus()
    page.evaluate(ARM_SLIDER, [handle, timeout_ms])
    return handle


def slider_latency(page) -> float | None:
    """Milliseconds from the key pressed on the armed slider to its readout's change, or None
    when nothing changed within the armed time."""
    return page.evaluate(
        "async () => { const t = await window.__bp.done;"
        " return t === null ? null : t - window.__bp.t0; }"
    )


def press_on_slider(page, index: int, key: str = "ArrowRight") -> float | None:
    """Press a key on the explorer's ``index``-th slider handle; returns ms until its readout
    changed, or None when nothing changed within 5 s (the slider was already at that end)."""
    arm_slider(page, index).press(key)
    return slider_latency(page)


def main() -> None:
    """Run JupyterLab on the workbook for a reader (``make lab``), in place of this process;
    arguments given to it go on to ``jupyter lab``."""
    trust(WORKBOOK)
    cmd = [sys.executable, "-m", "jupyterlab", *lab_arguments(WORKBOOK), *sys.argv[1:]]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        cmd.append("--allow-root")  # JupyterLab refuses to start as root unless told to
    os.execv(sys.executable, cmd)


if __name__ == "__main__":
    main()
