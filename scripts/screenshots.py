"""Screenshots of two explorers after a slider move (``make screenshots``).

Writes ``screenshots/<notebook>.png`` (ignored by git) and refreshes the committed copies in
``docs/`` that the README shows, so a reader sees the workbook before installing it.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from ui.lab import (  # noqa: E402 - after the path to tests/ is set
    CHROMIUM_ARGS,
    chromium_path,
    lab_server,
    open_notebook,
    run_all_cells,
    type_into_readout,
)

SHOTS = {"02-Softmax-Gradient.ipynb": (0, "-1.5"), "05-ReLU-Gradient.ipynb": (1, "1.25")}


def main() -> None:
    chromium = chromium_path()
    if chromium is None:
        sys.exit("screenshots need Chromium: apt-get install -y chromium")
    from playwright.sync_api import sync_playwright

    out, docs = ROOT / "screenshots", ROOT / "docs"
    out.mkdir(exist_ok=True)
    with lab_server() as (base, token), sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, headless=True, args=CHROMIUM_ARGS)
        for name, (slider, value) in SHOTS.items():
            page = browser.new_page(viewport={"width": 1600, "height": 1000})
            open_notebook(page, base, token, name)
            run_all_cells(page)
            old = page.inner_text(".bp-explorer .bp-readout pre")
            type_into_readout(page, slider, value)
            page.wait_for_function(
                "(old) => document.querySelector('.bp-explorer .bp-readout pre').innerText !== old",
                arg=old,
            )
            page.wait_for_timeout(500)  # let the new image arrive after the text
            target = out / name.replace(".ipynb", ".png")
            page.query_selector(".bp-explorer").screenshot(path=str(target))
            shutil.copy(target, docs / target.name)
            print(f"wrote {target.relative_to(ROOT)} and docs/{target.name}")
            page.close()
        browser.close()


if __name__ == "__main__":
    main()
