"""Copy the workbook's notebooks into a student's folder, in one process, at each server start.

Run by ``start-singleuser.sh`` as the student: ``python copy_workbook.py SOURCE TARGET``. A
notebook is copied only if TARGET has no file of its name, so a student's own work is never
overwritten and a notebook added mid-term arrives at the next start. Each copy is

- unpaired from its Markdown twin (the maintainers' jupytext pairing in its metadata), so that a
  student's save writes the notebook alone and no ``.md`` file appears beside it;
- signed as trusted in the student's own signature database, so that JupyterLab draws each
  explorer's saved state before the student runs anything.

One Python process for every notebook: a process per notebook and per step took longer than the
hub waits for a first start on a loaded machine.
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat
from nbformat.sign import NotebookNotary


def copy_workbook(source: Path, target: Path) -> list[str]:
    """Copy each ``source/*.ipynb`` that ``target`` lacks; returns the names copied."""
    target.mkdir(parents=True, exist_ok=True)
    notary = NotebookNotary()
    copied = []
    for path in sorted(source.glob("*.ipynb")):
        destination = target / path.name
        if destination.exists():
            continue
        nb = nbformat.read(path, as_version=4)
        nb.metadata.pop("jupytext", None)
        notary.sign(nb)
        nbformat.write(nb, destination)
        copied.append(path.name)
    return copied


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: copy_workbook.py SOURCE TARGET")
    copy_workbook(Path(sys.argv[1]), Path(sys.argv[2]))
