"""Screenshots of two explorers after a slider move (``make screenshots``).

Writes ``screenshots/<notebook>.png`` (ignored by git) and refreshes the committed copies in
``docs/`` that the README shows, so a reader sees the workbook before installing it. Run it from
the repository's root: ``python -m tools.screenshots``.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from .lab import (
    chromium_path,
    close_notebooks,
    explorer,
    image_source,
    lab_page,
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


def main() -> None:
    chromium = chromium_path()
    if chromium is None:
        sys.exit("screenshots need Chromium: apt-get install -y chromium")
    out, docs = ROOT / "screenshots", ROOT / "docs"
    out.mkdir(exist_ok=True)
    with lab_page(chromium, viewport={"width": 1600, "height": 1000}) as page:
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
