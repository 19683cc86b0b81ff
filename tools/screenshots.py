"""Screenshots of two explorers after a slider move (``make screenshots``).

Writes ``screenshots/<notebook>.png`` (ignored by git) and refreshes the committed copies in
``docs/`` that the README shows, so a reader sees the workbook before installing it. The page is
a laptop's window (1366 x 768 CSS pixels) on a high-density screen (2 device pixels per CSS
pixel), the density the explorers' figures are drawn at (``backprop_core.plots.DENSITY``), so the
screenshots are as sharp as the figures. Run it from the repository's root:
``python -m tools.screenshots``.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from backprop_core.plots import DENSITY

from .lab import (
    chromium_path,
    close_notebooks,
    explorer,
    image_source,
    lab_server,
    launch,
    open_lab,
    open_notebook,
    readout_text,
    run_all_cells,
    type_into_readout,
    wait_for_new_image,
    wait_for_new_text,
)

ROOT = Path(__file__).resolve().parents[1]
# notebook: the slider (by its readout's index) and the value typed into it for the picture
SHOTS = {"02-Softmax-Gradient.ipynb": (0, "-1.5"), "05-ReLU-Gradient.ipynb": (1, "1.25")}
VIEWPORT = {"width": 1366, "height": 768}


def main() -> None:
    chromium = chromium_path()
    if chromium is None:
        sys.exit("screenshots need Chromium: apt-get install -y chromium")
    out, docs = ROOT / "screenshots", ROOT / "docs"
    out.mkdir(exist_ok=True)
    from playwright.sync_api import sync_playwright  # a test dependency: imported when used

    with lab_server() as (base, token), sync_playwright() as pw:
        browser = launch(pw, chromium)
        try:
            page = browser.new_page(viewport=VIEWPORT, device_scale_factor=DENSITY)
            open_lab(page, base, token)
            shoot(page, out, docs)
        finally:
            browser.close()


def shoot(page, out: Path, docs: Path) -> None:
    """Run each notebook of :data:`SHOTS`, move its slider, and save the explorer's picture."""
    for name, (slider, value) in SHOTS.items():
        open_notebook(page, name)
        run_all_cells(page)
        explorer(page)
        old_text, old_source = readout_text(page), image_source(page)
        type_into_readout(page, slider, value)
        wait_for_new_text(page, old_text)
        wait_for_new_image(page, old_source)
        target = out / name.replace(".ipynb", ".png")
        page.query_selector(".bp-explorer").screenshot(path=str(target))
        shutil.copy(target, docs / target.name)
        print(f"wrote {target.relative_to(ROOT)} and docs/{target.name}")
        close_notebooks(page)


if __name__ == "__main__":
    main()
