"""App mode (``make app NB=...``, tools/app.py): an explorer served alone by Voilà, in Chromium.

The page opens only with its token, asks nothing of any server but Voilà's, shows no code, and its
explorer answers: a key press on the
first slider changes the readout and the figure. A script in the page can reach the kernel, but
Voilà passes it widget and info messages only: an execute_request never runs. In notebook 10's
explorer, a text that would run a shell command is refused and the command never runs, and a text
too complex for SymPy is refused once the time budget of ``backprop_core.activations`` has run
out. Start times and the
refusal time are printed (``pytest -s``), never asserted.
"""

from __future__ import annotations

import contextlib
import time
import urllib.error
import urllib.parse
import urllib.request

import pytest

from backprop_core.activations.budget import TIME_BUDGET
from tools.app import app_server
from tools.lab import (
    VIEWPORT,
    image_digest,
    image_source,
    press_on_slider,
    readout_text,
    wait_for_new_image,
    wait_for_new_text,
)
from tools.notebooks import build, first_slider

pytest.importorskip("voila", reason="app mode needs Voilà: pip install -e '.[workbook]'")


@pytest.fixture
def app(browser, tmp_path):
    """``app(name)`` starts Voilà on notebook ``name``'s explorer and opens its page; it returns
    ``(page, url)``. Every request that does not go to the Voilà server is blocked and listed in
    ``page.blocked``, which must stay empty. Server and page are stopped after the test."""
    opened = []
    with contextlib.ExitStack() as stack:

        def start(name: str):
            started = time.perf_counter()
            url = stack.enter_context(app_server(name, folder=tmp_path / "app"))
            server = urllib.parse.urlsplit(url).netloc
            page = browser.new_page(viewport=VIEWPORT)
            stack.callback(page.close)
            page.blocked = []

            def route(r):
                if urllib.parse.urlsplit(r.request.url).netloc == server:
                    r.continue_()
                else:
                    page.blocked.append(r.request.url)
                    r.abort()

            page.route("**/*", route)
            opened.append(page)
            page.goto(url, timeout=90_000)
            page.wait_for_selector(".bp-explorer .bp-image", timeout=90_000)
            print(f"\n{name}: explorer shown {time.perf_counter() - started:.1f} s after start")
            return page, url

        yield start
        for page in opened:
            assert page.blocked == [], f"the app asked the network for these: {page.blocked}"


def test_app_serves_the_explorer_alone_behind_its_token(app):
    page, url = app("05-ReLU-Gradient")
    parts = urllib.parse.urlsplit(url)
    base = f"{parts.scheme}://{parts.netloc}"
    assert parts.hostname == "127.0.0.1"

    # without the token the server sends the browser to its login page, not to the explorer
    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.build_opener(NoRedirect).open(f"{base}/", timeout=10)
    assert refused.value.code in (302, 403) and "login" in refused.value.headers.get("Location", "")

    # no code: no editor, no input area, and the builder's call is nowhere in the page
    assert page.locator(".jp-CodeCell .jp-InputArea, .jp-InputPrompt, .cm-editor").count() == 0
    assert "relu_explorer" not in page.content()
    assert page.locator(".bp-explorer").count() == 1

    # a key press on the first slider changes the readout and the figure
    move = first_slider(build("relu_explorer"))
    before_text, before_source, before_image = (
        readout_text(page),
        image_source(page),
        image_digest(page),
    )
    moved = press_on_slider(page, move.handle, "ArrowRight")
    if moved is None:  # already at its right end
        moved = press_on_slider(page, move.handle, "ArrowLeft")
    assert moved is not None, f"no key moved the slider {move.name!r}"
    wait_for_new_text(page, before_text)
    wait_for_new_image(page, before_source)
    assert image_digest(page) != before_image, "the figure did not change"
    print(f"05: readout changed {moved:.0f} ms after the key press")


# Open a second connection to the page's kernel, as any script in the page could, and send it an
# execute_request and a kernel_info_request; return [msg_type, parent msg_id] of what comes back.
PROBE_KERNEL = """async ([code]) => {
  const config = JSON.parse(document.getElementById('jupyter-config-data').textContent);
  const token = new URLSearchParams(location.search).get('token');
  const ws = new WebSocket(
    `ws://${location.host}/api/kernels/${config.kernelId}/channels?token=${token}`);
  await new Promise((opened, failed) => { ws.onopen = opened; ws.onerror = failed; });
  const got = [];
  ws.onmessage = e => { const m = JSON.parse(e.data);
                        got.push([m.msg_type, m.parent_header.msg_id || null]); };
  const send = (id, type, content) => ws.send(JSON.stringify({
    header: {msg_id: id, msg_type: type, username: '', session: 'probe', version: '5.3',
             date: new Date().toISOString()},
    parent_header: {}, metadata: {}, content, channel: 'shell', buffers: []}));
  send('probe-execute', 'execute_request', {code, silent: false, store_history: false,
       user_expressions: {}, allow_stdin: false, stop_on_error: true});
  send('probe-info', 'kernel_info_request', {});
  await new Promise(done => setTimeout(done, 3000));
  ws.close();
  return got;
}"""


def test_the_page_cannot_make_the_kernel_run_code(app, tmp_path):
    page, _ = app("05-ReLU-Gradient")
    canary = tmp_path / "executed"
    got = page.evaluate(PROBE_KERNEL, [f"open({str(canary)!r}, 'w').close()"])
    assert ["kernel_info_reply", "probe-info"] in got, f"the kernel did not answer: {got}"
    assert not [m for m in got if m[1] == "probe-execute"], f"the kernel ran the code: {got}"
    assert not canary.exists(), "the execute_request ran"


def type_activation(page, text: str) -> float:
    """Type ``text`` into notebook 10's text box and press Enter; returns the time it was sent."""
    box = page.locator(".bp-explorer .bp-controls input[type=text]")
    box.fill(text)
    sent = time.perf_counter()
    box.press("Enter")
    return sent


def test_typed_activation_is_never_run_and_a_slow_one_is_refused(app, tmp_path):
    page, _ = app("10-Your-Own-Activation")
    canary = tmp_path / "pwned"
    before = readout_text(page)
    type_activation(page, f"__import__('os').system('touch {canary}')")
    wait_for_new_text(page, before, timeout=30_000)
    refusal = readout_text(page)
    assert "not allowed" in refusal, refusal
    page.wait_for_timeout(1000)  # had anything run, it would have had time to create the file
    assert not canary.exists(), "the typed text ran as code"

    before = readout_text(page)
    sent = type_activation(page, "min((64 + -x), sign(x), sign((tanh((0.01 - x)) - 64)))")
    page.wait_for_function(
        "(old) => { const t = document.querySelector('.bp-explorer .bp-readout').innerText;"
        " return t !== old && t.includes('too complex'); }",
        arg=before,
        timeout=(TIME_BUDGET + 10) * 1000,  # the budget, and the round trip on a busy machine
    )
    print(
        f"10: refused as too complex {time.perf_counter() - sent:.1f} s after Enter "
        f"(budget {TIME_BUDGET:g} s)"
    )
