"""Slider latency in a real browser (``make bench``): key press to updated readout and figure.

For each notebook that builds an explorer (``tools.notebooks``), JupyterLab runs all its cells in
headless Chromium; then the arrow keys move the explorer's first slider 12 times, and the page
measures the time from the keydown event to the change of the explorer's text, and to the new
figure decoded and painted (an explorer whose figure changes only when it trains, or a move
too small to change a pixel, shows ``-``), with the part of that spent in the browser between
the figure's arrival and its painting. The last column compares the image's width on the page
with its pixels (``backprop_core.plots.DENSITY`` pixels per CSS pixel: not stretched). It does
so at a laptop's window (1366 x 768) and a projector's (1920 x 1080). Target: median <= 150 ms
for every explorer, text and figure (100 ms, where an interface stops feeling instantaneous,
plus the round trip to the kernel). Run it from the repository's root:
``python -m benchmarks.bench_ui`` (``--viewport 1366x768`` for one size only).
"""

from __future__ import annotations

import argparse
import statistics

from tools.lab import (
    chromium_path,
    close_notebooks,
    lab_page,
    open_notebook,
    run_all_cells,
)
from tools.notebooks import build, explorer_notebooks, first_slider

VIEWPORTS = ("1366x768", "1920x1080")
WAIT_MS = 5000  # nothing changed within this time: the slider was already at that end

# Before the key press: promises for the readout's next change and for the next image decoded
# and painted (the image element keeps its place; its ``src`` changes to a new blob URL).
_ARM = """([handle, wait]) => {
  const bp = window.__bp = {};
  handle.addEventListener('keydown', () => { bp.t0 = performance.now(); },
                          {once: true, capture: true});
  const readout = document.querySelector('.bp-explorer .bp-readout');
  const img = document.querySelector('.bp-explorer .bp-image');
  const changed = (target, options, then) => new Promise(resolve => {
    const obs = new MutationObserver(() => { obs.disconnect(); then(resolve); });
    obs.observe(target, options);
    setTimeout(() => { obs.disconnect(); resolve(null); }, wait);
  });
  bp.text = changed(readout, {subtree: true, childList: true, characterData: true},
                    resolve => resolve(performance.now()));
  bp.image = changed(img, {attributes: true, attributeFilter: ['src']},
                     resolve => { bp.arrived = performance.now();
                                  img.decode().catch(() => {}).then(
                       () => requestAnimationFrame(() => resolve(performance.now()))); });
}"""

_TIMES = """async () => {
  const bp = window.__bp, text = await bp.text, image = await bp.image;
  return [text === null ? null : text - bp.t0, image === null ? null : image - bp.t0,
          image === null ? null : image - bp.arrived,
          document.querySelector('.bp-explorer .bp-image').getBoundingClientRect().width,
          document.querySelector('.bp-explorer .bp-image').naturalWidth];
}"""


def press(page, index: int, key: str):
    """Press ``key`` on the ``index``-th slider handle of the explorer; returns the ms to the new
    text, to the new figure shown, and from the new figure's arrival in the page to its showing
    (None for what did not change), and the image's shown and natural widths."""
    handle = page.query_selector_all(".bp-explorer .bp-controls .noUi-handle")[index]
    handle.focus()
    page.evaluate(_ARM, [handle, WAIT_MS])
    handle.press(key)
    return page.evaluate(_TIMES)


def _size(text: str) -> dict:
    width, height = (int(part) for part in text.lower().split("x"))
    return {"width": width, "height": height}


def _fmt(times: list) -> str:
    if not times:
        return f"{'-':>6}  {'-':>6}"
    return f"{statistics.median(times):6.1f}  {max(times):6.1f}"


def measure(viewport: str, moves: int, chromium: str) -> None:
    print(f"\nwindow {viewport}: median and worst of {moves} moves, ms from key press to")
    print(
        f"  {'explorer':<26} {'text':>14}  {'figure':>14}  {'of it decoding':>14}"
        "  image px shown/natural"
    )
    with lab_page(chromium, _size(viewport)) as page:
        for name, builder in explorer_notebooks().items():
            move = first_slider(build(builder))
            if move is None:  # no slider to move (a text box and a range)
                continue
            open_notebook(page, name)
            run_all_cells(page)
            texts, images, decodes = [], [], []
            keys, shown, unanswered = ["ArrowRight", "ArrowLeft"], (0, 0), 0
            while len(texts) < moves:  # back and forth; at an end of the range, turn round
                text, image, decode, *shown = press(page, move.handle, keys[len(texts) % 2])
                if text is None:
                    unanswered += 1
                    if unanswered == 2:  # neither direction changed the readout
                        raise RuntimeError(f"{builder}'s first slider answers no key press")
                    keys.reverse()
                    continue
                unanswered = 0
                texts.append(text)
                if image is not None:
                    images.append(image)
                    decodes.append(decode)
            columns = f"{_fmt(texts)}  {_fmt(images)}  {_fmt(decodes)}"
            print(f"  {builder:<26} {columns}  {shown[0]:.0f}/{shown[1]}")
            close_notebooks(page)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--viewport", action="append", help="WIDTHxHEIGHT; repeatable")
    parser.add_argument("--moves", type=int, default=12)
    args = parser.parse_args(argv)
    chromium = chromium_path()
    if chromium is None:
        print("browser latency: skipped, Chromium is missing (apt-get install -y chromium)")
        return
    for viewport in args.viewport or VIEWPORTS:
        measure(viewport, args.moves, chromium)


if __name__ == "__main__":
    main()
