#!/bin/sh
# Start one student's Jupyter server. Run as that student by the spawner, so every file it writes
# belongs to them. Each notebook of the workbook is copied into ~/workbook unless the student
# already has a file of that name (copy_workbook.py: unpaired from its Markdown twin, trusted):
# the first login gets the whole workbook, a notebook added mid-term arrives at the next start,
# and a student's own work is never overwritten.
set -eu
SOURCE="${BP_WORKBOOK:?BP_WORKBOOK names the folder of the workbook's notebooks}"
TARGET="${HOME:?}/workbook"
"${BP_PYTHON:-python3}" "$(dirname "$0")/copy_workbook.py" "$SOURCE" "$TARGET"
cd "$HOME"
exec "${BP_PYTHON:-python3}" -m jupyterhub.singleuser "$@"
