#!/bin/sh
# Start one student's Jupyter server. Run as that student by the spawner, so every file it writes
# belongs to them. Each notebook of the workbook is copied into ~/workbook unless the student
# already has a file of that name: the first login gets the whole workbook, a notebook added
# mid-term arrives at the next start, and a student's own work is never overwritten.
set -eu
SOURCE="${BP_WORKBOOK:?BP_WORKBOOK names the folder of the workbook's notebooks}"
TARGET="${HOME:?}/workbook"
mkdir -p "$TARGET"
for notebook in "$SOURCE"/*.ipynb; do
    name="$(basename "$notebook")"
    if [ ! -e "$TARGET/$name" ]; then
        cp "$notebook" "$TARGET/"
        # trusted, so JupyterLab draws the explorer's saved state before the student runs it
        "${BP_PYTHON:-python3}" -m jupyter trust "$TARGET/$name" >/dev/null
    fi
done
cd "$HOME"
exec "${BP_PYTHON:-python3}" -m jupyterhub.singleuser "$@"
