"""Slider latency in a real browser (``make bench``): key press to updated readout, per explorer.

For each notebook with an explorer, JupyterLab runs all its cells in headless Chromium; then the
arrow key moves the explorer's first slider 12 times, and the page measures the time from the
keydown event to the change of the explorer's text. Target: median <= 150 ms for every explorer
(100 ms, where an interface stops feeling instantaneous, plus the round trip to the kernel).
"""

from __future__ import annotations

import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from ui.lab import (
    CHROMIUM_ARGS,
    chromium_path,
    lab_server,
    open_notebook,
    press_on_slider,
    run_all_cells,
)
from ui.test_lab import NOTEBOOKS


def main(moves: int = 12) -> None:
    chromium = chromium_path()
    if chromium is None:
        print("browser latency: skipped, Chromium is missing (apt-get install -y chromium)")
        return
    from playwright.sync_api import sync_playwright

    print(f"browser latency, key press to updated text (median and worst of {moves} moves)")
    with lab_server() as (base, token), sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, headless=True, args=CHROMIUM_ARGS)
        for name, (builder, slider, _) in NOTEBOOKS.items():
            if slider is None:  # no slider to move (a text box)
                continue
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            open_notebook(page, base, token, name)
            run_all_cells(page)
            times, keys = [], ["ArrowRight", "ArrowLeft"]
            while len(times) < moves:  # back and forth; at an end of the range, turn round
                elapsed = press_on_slider(page, slider, keys[len(times) % 2])
                if elapsed is None:
                    keys.reverse()
                    continue
                times.append(elapsed)
            median, worst = statistics.median(times), max(times)
            print(f"  {builder:<26} median {median:6.1f} ms   worst {worst:6.1f} ms")
            page.close()
        browser.close()


if __name__ == "__main__":
    main()
