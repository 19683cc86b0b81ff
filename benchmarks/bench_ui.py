"""Slider latency in a real browser (``make bench``): key press to updated readout, per explorer.

For each notebook that builds an explorer (``tools.notebooks``), JupyterLab runs all its cells in
headless Chromium; then the arrow keys move the explorer's first slider 12 times, and the page
measures the time from the keydown event to the change of the explorer's text. Target: median
<= 150 ms for every explorer (100 ms, where an interface stops feeling instantaneous, plus the
round trip to the kernel). Run it from the repository's root: ``python -m benchmarks.bench_ui``.
"""

from __future__ import annotations

import statistics

from tools.lab import (
    chromium_path,
    close_notebooks,
    lab_page,
    open_notebook,
    press_on_slider,
    run_all_cells,
)
from tools.notebooks import build, explorer_notebooks, first_slider


def main(moves: int = 12) -> None:
    chromium = chromium_path()
    if chromium is None:
        print("browser latency: skipped, Chromium is missing (apt-get install -y chromium)")
        return
    print(f"browser latency, key press to updated text (median and worst of {moves} moves)")
    with lab_page(chromium) as page:
        for name, builder in explorer_notebooks().items():
            move = first_slider(build(builder))
            if move is None:  # no slider to move (a text box and a range)
                continue
            open_notebook(page, name)
            run_all_cells(page)
            times, keys = [], ["ArrowRight", "ArrowLeft"]
            while len(times) < moves:  # back and forth; at an end of the range, turn round
                elapsed = press_on_slider(page, move.handle, keys[len(times) % 2])
                if elapsed is None:
                    keys.reverse()
                    continue
                times.append(elapsed)
            median, worst = statistics.median(times), max(times)
            print(f"  {builder:<26} median {median:6.1f} ms   worst {worst:6.1f} ms")
            close_notebooks(page)


if __name__ == "__main__":
    main()
