"""The offline site (``make site``, tools/site.py) in Chromium with the network cut off.

The site is built into a temporary folder and every page is opened from ``file://`` in a browser
context that aborts every request whose URL is not a ``file:`` one (the aborted ones are counted
and must be none). On each page the formulas are typeset (no ``$`` or TeX command is left in the
visible text, no MathJax error), every link to a file leads to one that exists (and to the
heading its ``#anchor`` names), and the previous / next links follow the reading order. Each
explorer named by a ``backprop_core.widgets`` class is drawn from the state saved in its notebook:
the readout shows the saved text and the image the saved bytes. The build time, the site's size
and the request counts are printed (``pytest -s``), never asserted.
"""

from __future__ import annotations

import functools
import html
import json
import re
import shutil
import time
import urllib.parse
from html.parser import HTMLParser
from pathlib import Path

import pytest

from backprop_core.widgets import explorer_classes
from tools.lab import VIEWPORT
from tools.site import ASSETS, NODE, WORKBOOK, build_site, folder_size, notebooks, page_name

NOTEBOOKS = notebooks()
PAGES = ["index.html", *(page_name(p) for p in NOTEBOOKS)]
# the notebooks the library's explorers name (each class's ``notebook``)
EXPLORER_NOTEBOOKS = sorted({cls.notebook for cls in explorer_classes().values()})
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    installed = all((NODE / "node_modules" / source).exists() for source, _ in ASSETS.values())
    if not installed and shutil.which("npm") is None:
        pytest.skip("the site needs npm for MathJax and the widget manager: apt-get install -y npm")
    out = tmp_path_factory.mktemp("site") / "site"
    start = time.perf_counter()
    build_site(out)
    print(
        f"\nsite: {len(PAGES)} pages, {folder_size(out) / 2**20:.1f} MiB, "
        f"built in {time.perf_counter() - start:.1f} s"
    )
    return out


@pytest.fixture(scope="module")
def offline(browser, site):
    """A page in a browser context that lets only ``file:`` requests through; ``page.blocked``
    lists the URLs it aborted and ``page.failed`` the requests that failed otherwise."""
    context = browser.new_context(viewport=VIEWPORT)
    blocked, failed, served = [], [], []

    def route(r):
        if r.request.url.startswith("file:"):
            served.append(r.request.url)
            r.continue_()
        else:
            blocked.append(r.request.url)
            r.abort()

    context.route("**/*", route)
    page = context.new_page()
    page.on("requestfailed", lambda r: failed.append(f"{r.url}: {r.failure}"))
    page.blocked, page.failed = blocked, failed
    yield page
    print(f"\nsite: {len(served)} file requests served, {len(blocked)} other requests blocked")
    context.close()


def open_page(page, site: Path, name: str) -> None:
    """Load ``name`` from the site and wait until MathJax has typeset it and every widget view
    saved in it is drawn."""
    page.goto((site / name).as_uri())
    page.wait_for_function(
        "() => window.MathJax && MathJax.startup && MathJax.startup.promise", timeout=30_000
    )
    page.evaluate("() => MathJax.startup.promise")
    page.wait_for_function(
        f"""() => [...document.querySelectorAll('script[type="{WIDGET_VIEW}"]')]
          .every(s => s.parentElement.querySelector('.widget-subarea > *'))""",
        timeout=30_000,
    )


# Text the reader sees outside code, typeset formulas and scripts.
VISIBLE_PROSE = """() => {
  const skip = 'mjx-container, code, pre, script, style, .jp-InputArea';
  const walker = document.createTreeWalker(document.querySelector('main'), NodeFilter.SHOW_TEXT,
    {acceptNode: n => n.parentElement.closest(skip) ? NodeFilter.FILTER_REJECT
                                                     : NodeFilter.FILTER_ACCEPT});
  const texts = [];
  while (walker.nextNode()) texts.push(walker.currentNode.textContent);
  return texts.join(' ');
}"""

RAW_TEX = re.compile(r".{0,30}(\$|\\[A-Za-z]+).{0,30}")


def markdown_has_math(name: str) -> bool:
    """Whether the page's Markdown (the notebook's, or the index's made from notebook 00) has a
    ``$``."""
    path = WORKBOOK / name.replace(".html", ".ipynb") if name != "index.html" else NOTEBOOKS[0]
    cells = json.loads(path.read_text())["cells"]
    return any("$" in "".join(c["source"]) for c in cells if c["cell_type"] == "markdown")


class _Ids(HTMLParser):
    def __init__(self):
        super().__init__()
        self.ids = set()

    def handle_starttag(self, tag, attrs):
        self.ids.update(value for name, value in attrs if name == "id")


@functools.cache
def element_ids(page: Path) -> frozenset[str]:
    """The ``id`` of every element of an HTML file."""
    parser = _Ids()
    parser.feed(page.read_text(encoding="utf-8"))
    return frozenset(parser.ids)


def check_links(page, site: Path) -> tuple[int, int]:
    """Every ``file:`` link and source of the page names a file that exists, and its anchor an
    element of that page; returns how many local and how many web links the page has."""
    urls = page.evaluate("""() => [
        ...[...document.querySelectorAll('a[href]')].map(a => a.href),
        ...[...document.querySelectorAll('[src]')].map(e => e.src)]""")
    local = web = 0
    for url in urls:
        parsed = urllib.parse.urlparse(url)
        if parsed.scheme in ("http", "https", "mailto"):
            web += 1
            continue
        if parsed.scheme != "file":  # blob: and data: URLs of the widget manager
            continue
        local += 1
        target = Path(urllib.parse.unquote(parsed.path))
        assert target.is_file(), f"{url} leads to no file"
        assert target.suffix != ".ipynb", f"{url} leads to a notebook, not to its page"
        assert site.resolve() in target.resolve().parents, f"{url} leads out of the site"
        if parsed.fragment and target.suffix == ".html":
            # as a browser looks for it: the fragment as it is, then percent-decoded
            ids = element_ids(target)
            found = parsed.fragment in ids or urllib.parse.unquote(parsed.fragment) in ids
            assert found, f"{url}: the page has no such anchor"
    return local, web


def _model_tree(state: dict, model_id: str):
    """``model_id`` and every model below it (children of boxes), depth first."""
    yield model_id
    for child in state[model_id]["state"].get("children", []):
        yield from _model_tree(state, child.removeprefix("IPY_MODEL_"))


def _text_of(fragment: str) -> str:
    """The words of an HTML fragment, as a browser shows them."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


def saved_explorers(notebook: str) -> list[dict]:
    """Each explorer displayed by ``notebook``, in order, as its saved widget state has it: the
    readout's text and the image's bytes (base64)."""
    nb = json.loads((WORKBOOK / notebook).read_text())
    state = nb["metadata"].get("widgets", {}).get(WIDGET_STATE, {}).get("state", {})
    found = []
    for cell in nb["cells"]:
        for output in cell.get("outputs", []):
            view = output.get("data", {}).get(WIDGET_VIEW)
            if view is None or view["model_id"] not in state:
                continue
            parts = {}
            for model_id in _model_tree(state, view["model_id"]):
                model = state[model_id]
                for css in model["state"].get("_dom_classes", []):
                    parts[css] = model
            if "bp-explorer" not in parts:
                continue
            buffers = {tuple(b["path"]): b["data"] for b in parts["bp-image"].get("buffers", [])}
            found.append(
                {
                    "readout": _text_of(parts["bp-readout"]["state"]["value"]),
                    "image": buffers[("value",)],
                }
            )
    return found


def check_explorers(page, notebook: str) -> None:
    """Each explorer of the open page shows the readout text and the image bytes saved in
    ``notebook``'s widget state."""
    saved = saved_explorers(notebook)
    assert saved, f"{notebook} was saved without its explorer's widget state"
    shown = page.evaluate("""async () => Promise.all(
      [...document.querySelectorAll('.bp-explorer')].map(async ex => {
        const img = ex.querySelector('img.bp-image');
        await img.decode();
        const bytes = new Uint8Array(await (await fetch(img.src)).arrayBuffer());
        let binary = '';
        for (const b of bytes) binary += String.fromCharCode(b);
        return {readout: ex.querySelector('.bp-readout').innerText,
                image: btoa(binary), width: img.naturalWidth,
                height: img.getBoundingClientRect().height};
      }))""")
    assert len(shown) == len(saved), f"{notebook}: {len(shown)} explorers drawn, {len(saved)} saved"
    for drawn, kept in zip(shown, saved, strict=True):
        assert drawn["width"] > 0 and drawn["height"] > 0, f"{notebook}: the figure is not shown"
        assert drawn["image"] == kept["image"], f"{notebook}: the figure is not the saved one"
        assert " ".join(drawn["readout"].split()) == kept["readout"], f"{notebook}: readout"


@pytest.mark.parametrize("name", PAGES)
def test_page_reads_offline(offline, site, name):
    blocked, failed = len(offline.blocked), len(offline.failed)
    open_page(offline, site, name)
    assert offline.blocked[blocked:] == [], f"{name} asked the network for these"
    assert offline.failed[failed:] == [], f"{name} could not load these files"

    raw = [m.group(0) for m in RAW_TEX.finditer(offline.evaluate(VISIBLE_PROSE))]
    assert raw == [], f"{name} shows TeX that MathJax did not typeset"
    assert offline.locator("mjx-merror").count() == 0, f"{name} has a formula MathJax refused"
    if markdown_has_math(name):
        assert offline.locator("main mjx-container").count() > 0, f"{name}: no formula typeset"
    problems = [t for t in ("Loading widget", "Error displaying widget") if t in offline.content()]
    assert problems == [], f"{name} shows {problems}"

    local, web = check_links(offline, site)
    assert local > 0
    i = PAGES.index(name)
    for rel, j in (("prev", i - 1), ("next", i + 1)):
        links = offline.locator(f"nav.bp-site-nav a[rel={rel}]")
        if 0 <= j < len(PAGES):
            hrefs = {links.nth(k).get_attribute("href") for k in range(links.count())}
            assert hrefs == {PAGES[j]}, f"{name}: {rel} should lead to {PAGES[j]}"
        else:
            assert links.count() == 0, f"{name} is at an end of the reading order"
    if name == "index.html":
        listed = set(
            offline.evaluate(
                "() => [...document.querySelectorAll('main a')].map(a => a.getAttribute('href'))"
            )
        )
        assert set(PAGES[1:]) <= listed, f"the index leaves out {set(PAGES[1:]) - listed}"
    notebook = name.replace(".html", ".ipynb")
    if notebook in EXPLORER_NOTEBOOKS:
        check_explorers(offline, notebook)
    print(f"\n{name}: {local} local links and sources, {web} web links (not followed)")


def test_every_explorer_has_a_page():
    assert set(EXPLORER_NOTEBOOKS) <= {p.name for p in NOTEBOOKS}
