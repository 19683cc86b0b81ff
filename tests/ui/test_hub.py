"""A class on one JupyterHub: deploy/jupyterhub/jupyterhub_config.py, tested on 127.0.0.1.

The class configuration is loaded as it is; on top of it the test sets what a machine without
real users needs: JupyterHub's dummy authenticator, the SimpleLocalProcessSpawner (one home
folder per user under a temporary folder, every server run as the same system user) and free
ports. configurable-http-proxy comes from npm into build/node (``make hub-proxy``), never global.
Two users log in from Chromium at the same time, each runs notebook 05, moves its slider and
saves it (no news question is asked; the copy is unpaired from its Markdown twin, so no .md file
appears), and neither can reach the other's files through the hub. The start time, each user's
memory and the slider latency are printed, never asserted.
"""

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

import pytest

from tools.lab import (
    arm_slider,
    explorer,
    open_notebook,
    readout_text,
    run_all_cells,
    slider_latency,
)

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ROOT / "deploy" / "jupyterhub" / "jupyterhub_config.py"
PROXY = ROOT / "build" / "node" / "node_modules" / ".bin" / "configurable-http-proxy"
USERS = ("alice", "bob")
NOTEBOOK = "workbook/05-ReLU-Gradient.ipynb"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def proxy():
    if shutil.which("npm") is None:
        pytest.skip("the hub test needs npm for configurable-http-proxy: apt-get install -y npm")
    if not PROXY.exists():
        prefix = str(PROXY.parents[2])  # build/node
        subprocess.run(
            [
                "npm",
                "install",
                "--prefix",
                prefix,
                "--no-audit",
                "--no-fund",
                "configurable-http-proxy@5.3.0",  # as make hub-proxy installs it
            ],
            check=True,
            capture_output=True,
            timeout=300,
        )
    return PROXY


TEST_CONFIG = """\
c = get_config()  # noqa: F821
load_subconfig({config!r})  # noqa: F821
c.JupyterHub.authenticator_class = "dummy"
c.Authenticator.allow_all = True
c.JupyterHub.spawner_class = "simple"
c.SimpleLocalProcessSpawner.home_dir_template = {homes!r} + "/{{username}}"
c.JupyterHub.ip = "127.0.0.1"
c.JupyterHub.port = {port}
c.JupyterHub.hub_port = {hub_port}
c.ConfigurableHTTPProxy.api_url = "http://127.0.0.1:{api_port}"
c.ConfigurableHTTPProxy.command = [{proxy!r}]
c.JupyterHub.db_url = "sqlite:///{state}/hub.sqlite"
c.JupyterHub.cookie_secret_file = "{state}/cookie_secret"
c.JupyterHub.pid_file = "{state}/hub.pid"
# the browser test drives JupyterLab through window.jupyterapp, every cell rendered
c.Spawner.args = list(c.Spawner.args) + ["--LabApp.expose_app_in_browser=True"] + {root_flag!r}
c.Spawner.environment.update({{"JUPYTERLAB_SETTINGS_DIR": {settings!r}}})
"""


def _lab_settings(folder: Path) -> None:
    """A setting for the browser test alone: no windowing, so every cell is in the page. (No
    news question is the class configuration's own setting, and tested as such.)"""
    for plugin, settings in (("notebook-extension/tracker", {"windowingMode": "none"}),):
        path = folder / "@jupyterlab" / f"{plugin}.jupyterlab-settings"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(settings))


@pytest.fixture(scope="module")
def hub(proxy, chromium):
    with tempfile.TemporaryDirectory(prefix="bp-hub-") as tmp:
        tmp = Path(tmp)
        homes, state, settings = tmp / "home", tmp / "state", tmp / "settings"
        for folder in (homes, state):
            folder.mkdir()
        _lab_settings(settings)
        port = _free_port()
        root_flag = ["--allow-root"] if hasattr(os, "geteuid") and os.geteuid() == 0 else []
        config = tmp / "test_config.py"
        config.write_text(
            TEST_CONFIG.format(
                config=str(CONFIG),
                homes=str(homes),
                port=port,
                hub_port=_free_port(),
                api_port=_free_port(),
                proxy=str(proxy),
                state=state,
                root_flag=root_flag,
                settings=str(settings),
            )
        )
        log = open(tmp / "hub.log", "w")
        env = {
            **os.environ,
            "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        }
        started = time.monotonic()
        process = subprocess.Popen(
            [sys.executable, "-m", "jupyterhub", "-f", str(config)],
            cwd=state,
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
            start_new_session=True,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            while True:
                try:
                    with urllib.request.urlopen(f"{base}/hub/api", timeout=2):
                        break
                except OSError:
                    if process.poll() is not None or time.monotonic() - started > 90:
                        raise RuntimeError(f"jupyterhub did not start: {tmp / 'hub.log'}") from None
                    time.sleep(0.25)
            yield {"base": base, "homes": homes, "start": time.monotonic() - started, "log": log}
        finally:
            process.terminate()  # the hub stops the servers it spawned and its proxy
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, 9)
            log.close()


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _processes() -> dict[int, tuple[int, str, dict]]:
    """Every process this user can read: pid -> (parent pid, command line, environment)."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError):
            cmd = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            raw = (entry / "environ").read_bytes().split(b"\0")
            env = dict(item.decode().split("=", 1) for item in raw if b"=" in item)
            found[int(entry.name)] = (ppid, cmd, env)
    return found


def _memory(user: str) -> tuple[float, float]:
    """RSS in MB of ``user``'s single-user server and of its kernels, together."""
    procs = _processes()
    servers = [
        pid
        for pid, (_, cmd, env) in procs.items()
        if "jupyterhub.singleuser" in cmd and env.get("JUPYTERHUB_USER") == user
    ]
    assert len(servers) == 1, f"expected one server for {user}, found {servers}"
    kernels = [pid for pid, (ppid, _, _) in procs.items() if ppid == servers[0]]
    return _rss_mb(servers[0]), sum(_rss_mb(pid) for pid in kernels)


def _login(page, base: str, user: str) -> float:
    started = time.monotonic()
    page.goto(f"{base}/hub/login")
    page.fill("#username_input", user)
    page.fill("#password_input", secrets.token_hex(4))  # the dummy authenticator takes any
    page.press("#password_input", "Enter")
    page.wait_for_url(f"**/user/{user}/lab**", timeout=120_000)
    page.wait_for_function("() => window.jupyterapp !== undefined", timeout=120_000)
    page.evaluate(
        "async () => { await window.jupyterapp.started; await window.jupyterapp.restored; }"
    )
    return time.monotonic() - started


def _status(page, url: str) -> int:
    """The HTTP status of ``url`` fetched from ``page``, with its cookies and its XSRF token."""
    return page.evaluate(
        """async (url) => {
      const xsrf = (document.cookie.match(/_xsrf=([^;]+)/) || [])[1] || '';
      const r = await fetch(url, {headers: {'X-XSRFToken': xsrf}, redirect: 'manual'});
      return r.status; }""",
        url,
    )


def test_two_students_on_one_hub(hub, browser):
    base = hub["base"]
    contexts = {
        user: browser.new_context(viewport={"width": 1400, "height": 1000}) for user in USERS
    }
    pages = {user: contexts[user].new_page() for user in USERS}
    try:
        spawn = {user: _login(pages[user], base, user) for user in USERS}
        for user in USERS:  # each has a workbook of their own, copied on first login
            copied = sorted(p.name for p in (hub["homes"] / user / "workbook").glob("*.ipynb"))
            expected = sorted(p.name for p in (ROOT / "workbook").glob("*.ipynb"))
            assert copied == expected, f"{user}'s copy of the workbook is incomplete"

        ran = {}
        for user in USERS:  # both kernels stay running from here on
            started = time.monotonic()
            open_notebook(pages[user], NOTEBOOK)
            run_all_cells(pages[user])
            explorer(pages[user])
            ran[user] = time.monotonic() - started

        latencies = {user: [] for user in USERS}
        for move in range(6):  # both sliders moved at once, then both waited for
            key = "ArrowRight" if move % 2 == 0 else "ArrowLeft"
            before = {user: readout_text(pages[user]) for user in USERS}
            for user in USERS:
                arm_slider(pages[user], 0, timeout_ms=10_000)
            for user in USERS:
                pages[user].keyboard.press(key)
            for user in USERS:
                latency = slider_latency(pages[user])
                assert latency is not None, f"{user}'s explorer did not answer a slider move"
                assert readout_text(pages[user]) != before[user]
                latencies[user].append(latency)

        for user in USERS:  # no news question; saving writes the notebook, no Markdown twin
            assert "Jupyter news" not in pages[user].inner_text("body")
            pages[user].evaluate("() => window.jupyterapp.commands.execute('docmanager:save')")
        for user in USERS:
            saved = hub["homes"] / user / NOTEBOOK
            pages[user].wait_for_function(
                "() => !document.querySelector('.jp-mod-current.jp-mod-dirty')", timeout=30_000
            )
            assert "jupytext" not in json.loads(saved.read_text())["metadata"]
            twins = sorted(p.name for p in saved.parent.glob("*.md"))
            assert twins == [], f"saving wrote Markdown twins into {user}'s workbook: {twins}"

        # each writes a file; neither sees the other's through the hub
        for user in USERS:
            status = pages[user].evaluate(
                """async ([url, body]) => {
              const xsrf = (document.cookie.match(/_xsrf=([^;]+)/) || [])[1] || '';
              const r = await fetch(url, {method: 'PUT', headers: {'X-XSRFToken': xsrf},
                body: JSON.stringify({type: 'file', format: 'text', content: body})});
              return r.status; }""",
                [f"{base}/user/{user}/api/contents/mine-{user}.txt", f"written by {user}"],
            )
            assert status in (200, 201), f"{user} could not save a file: {status}"
        for user, other in (USERS, USERS[::-1]):
            own = _status(pages[user], f"{base}/user/{user}/api/contents/mine-{user}.txt")
            theirs = _status(pages[user], f"{base}/user/{other}/api/contents/mine-{other}.txt")
            listing = _status(pages[user], f"{base}/user/{other}/api/contents")
            assert own == 200, f"{user} cannot read their own file: {own}"
            # the hub refuses a user's request for another's server outright
            assert theirs == listing == 403, f"{user} asking for {other}'s: {theirs}, {listing}"
            assert (hub["homes"] / other / f"mine-{other}.txt").read_text() == f"written by {other}"
            print(f"\n{user} asking for {other}'s file and folder: HTTP {theirs}, {listing}")

        for user in USERS:  # nbgrader's instructor tools are off for students, its others on
            plugins = pages[user].evaluate("() => window.jupyterapp.listPlugins()")
            nbgrader = {p.split(":")[1] for p in plugins if p.startswith("@jupyter/nbgrader:")}
            assert "assignment-list" in nbgrader, f"nbgrader's plugins not found: {nbgrader}"
            assert not nbgrader & {"formgrader", "create-assignment", "course-list"}, nbgrader
            assert _status(pages[user], f"{base}/user/{user}/formgrader") == 404

        memory = {user: _memory(user) for user in USERS}
        print(f"\nhub start (process to API answering): {hub['start']:.1f} s")
        for user in USERS:
            server, kernels = memory[user]
            ordered = sorted(latencies[user])
            print(
                f"{user}: login to JupyterLab {spawn[user]:.1f} s; notebook 05 open and run "
                f"{ran[user]:.1f} s; RSS server {server:.0f} MB, kernel {kernels:.0f} MB; "
                f"slider latency with both moving, median {ordered[len(ordered) // 2]:.0f} ms, "
                f"max {ordered[-1]:.0f} ms"
            )
    finally:
        for context in contexts.values():
            context.close()
