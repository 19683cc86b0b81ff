"""Tools that drive the workbook from outside: JupyterLab in headless Chromium, the table of the
notebooks that build an explorer, and ``make screenshots``.

The browser tests (``tests/ui``), ``benchmarks/bench_ui.py`` and ``python -m tools.screenshots``
import them; run them from the repository's root, where ``tools`` is importable.
"""
