"""App mode: one notebook's explorer alone on a page, served by Voilà (``make app NB=...``).

The page shows the notebook's title and its explorer, and no code: a short notebook that builds
the explorer (the ``backprop_core.widgets`` builder whose class names the notebook) is written
into ``build/app`` and Voilà runs it with its sources stripped, on 127.0.0.1 behind a random
token. Voilà lets the page send the kernel widget messages only, never code to execute, and what
a learner types into an explorer (notebook 10's activation) is parsed by
``backprop_core.activations``, never evaluated. The page is Voilà's lab template less the two
stylesheets that template takes from a CDN (``tools/jupyter/voila/templates/workbook``), so it
opens with no network::

    with app_server("05-ReLU-Gradient") as url:
        ...  # url carries the token
"""

from __future__ import annotations

import argparse
import contextlib
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import nbformat

from tools.lab import stop

ROOT = Path(__file__).resolve().parents[1]
FOLDER = ROOT / "build" / "app"
TEMPLATES = ROOT / "tools" / "jupyter"  # voila/templates/workbook: the lab template, no CDN


def explorer_builders() -> dict[str, str]:
    """Each notebook with an explorer (its name without ``.ipynb``) and the builder of that
    explorer in ``backprop_core.widgets``.

    >>> explorer_builders()["05-ReLU-Gradient"]
    'relu_explorer'
    """
    from backprop_core.widgets import explorer_classes

    return {cls.notebook.removesuffix(".ipynb"): name for name, cls in explorer_classes().items()}


def app_notebook(name: str) -> nbformat.NotebookNode:
    """The notebook Voilà serves for the workbook notebook ``name`` (e.g. ``"05-ReLU-Gradient"``):
    its title and a cell that displays its explorer.

    >>> app_notebook("05-ReLU-Gradient").cells[1].source.splitlines()[-1]
    'relu_explorer()'
    """
    builders = explorer_builders()
    if not isinstance(name, str):
        raise TypeError(f"name must be a notebook's name as a str; got {type(name).__name__}")
    name = name.removesuffix(".ipynb")
    if name not in builders:
        raise ValueError(
            f"name must be a notebook with an explorer, one of {sorted(builders)}; got {name!r}"
        )
    number, _, words = name.partition("-")
    heading = f"# {number} {words.replace('-', ' ')}"
    code = f"from backprop_core.widgets import {builders[name]}\n\n{builders[name]}()"
    nb = nbformat.v4.new_notebook(
        cells=[nbformat.v4.new_markdown_cell(heading), nbformat.v4.new_code_cell(code)],
        metadata={
            "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}
        },
    )
    nb.metadata["title"] = heading[2:]
    return nb


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def voila_command(notebook: Path, port: int, token: str) -> list[str]:
    """The command that serves ``notebook`` with Voilà on 127.0.0.1:``port`` behind ``token``."""
    return [
        sys.executable,
        "-m",
        "voila",
        str(notebook),
        "--no-browser",
        "--Voila.ip=127.0.0.1",
        f"--Voila.port={port}",
        "--Voila.port_retries=0",
        f"--Voila.token={token}",
        "--VoilaConfiguration.strip_sources=True",
        "--VoilaConfiguration.show_tracebacks=False",
        "--VoilaConfiguration.template=workbook",
    ]


@contextlib.contextmanager
def app_server(name: str, folder: Path = FOLDER, port: int | None = None, log=None):
    """Start Voilà on the explorer of notebook ``name``; yields the page's URL (with its token)
    once the server answers, and stops the server afterwards."""
    nb = app_notebook(name)
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name.removesuffix('.ipynb')}.ipynb"
    nbformat.write(nb, path)
    port, token = port or _free_port(), secrets.token_hex(16)
    paths = [str(TEMPLATES), *filter(None, os.environ.get("JUPYTER_PATH", "").split(os.pathsep))]
    env = {
        **os.environ,
        "JUPYTER_RUNTIME_DIR": str(folder / ".runtime"),
        "JUPYTER_PATH": os.pathsep.join(paths),
    }
    server = subprocess.Popen(
        voila_command(path, port, token),
        cwd=folder,
        env=env,
        stdout=log or subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:  # a static file: answers as soon as the server listens, runs no kernel
                with urllib.request.urlopen(f"{base}/voila/static/favicon.ico", timeout=2):
                    break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"voila did not start on {base}") from None
                time.sleep(0.2)
        yield f"{base}/?token={token}"
    finally:
        stop(server)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "notebook", help="e.g. 05-ReLU-Gradient", choices=sorted(explorer_builders())
    )
    parser.add_argument("--port", type=int, default=8866)
    args = parser.parse_args(argv)
    start = time.perf_counter()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))  # stop Voilà too when told to stop
    with app_server(args.notebook, port=args.port, log=sys.stderr) as url:
        print(f"Voilà is serving {args.notebook}'s explorer ({time.perf_counter() - start:.1f} s):")
        print(f"    {url}")
        print("Open it in a browser on this machine; Ctrl-C stops it.", flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            while True:
                time.sleep(3600)
    return 0


if __name__ == "__main__":
    sys.exit(main())
