"""The workbook as an offline static site: ``python -m tools.site build/site`` (``make site``).

Each committed notebook becomes one HTML page made by nbconvert's HTML exporter, with its outputs
and its saved widget state, through the template in ``tools/site_template/`` (nbconvert's ``lab``
template plus a bar of previous / contents / next links, and MathJax 3 in place of the CDN's
MathJax 2). ``index.html`` is made the same way from the map of notebook 00, read from that
notebook at build time. The pages read in the order of their file names (``03a`` after ``03``).

Nothing is fetched when a page is opened: require.js, MathJax and the Jupyter widget manager
(``@jupyter-widgets/html-manager``, which draws every explorer from its saved state) come from the
npm registry into ``build/node`` (:func:`ensure_assets`) and are copied into ``assets/`` beside
the pages, which link them by relative URLs, so the folder works from ``file://`` or any static
server. Links between notebooks (``05-ReLU-Gradient.ipynb``) point to their pages.
"""

from __future__ import annotations

import argparse
import html
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
WORKBOOK = ROOT / "workbook"
NODE = ROOT / "build" / "node"
TEMPLATE = Path(__file__).resolve().parent / "site_template"
# What the pages load, from npm, at the versions the offline test last passed with (the widget
# manager's 1.x goes with ipywidgets 8): a new release changes the site only when pinned here.
NPM_PACKAGES = ("requirejs@2.3.8", "mathjax@3.2.2", "@jupyter-widgets/html-manager@1.0.15")
# asset in the site: (package folder in node_modules, files kept). MathJax is its combined TeX
# component with SVG output (no font files to load) and the component folders it loads on demand.
ASSETS = {
    "requirejs": ("requirejs", ("require.js",)),
    "mathjax": ("mathjax/es5", ("tex-svg-full.js", "input/**/*.js", "output/**/*.js", "ui/*.js")),
    "html-manager": (
        "@jupyter-widgets/html-manager/dist",
        ("embed-amd.js", "*.woff", "*.woff2", "*.ttf", "*.eot", "*.svg"),
    ),
}
MAP_HEADING = "## Map of the workbook"
MARKDOWN_LINK = re.compile(r"\]\(([^)\s]+\.ipynb)(#[^)\s]*)?\)")
HREF_TO_NOTEBOOK = re.compile(r'href="((?![a-z][a-z0-9+.-]*:)[^"#]*)\.ipynb(#[^"]*)?"')


def notebooks(workbook: Path = WORKBOOK) -> list[Path]:
    """The numbered notebooks in reading order: sorted file names.

    >>> [p.name for p in notebooks()][:5]  # doctest: +NORMALIZE_WHITESPACE
    ['00-Start-Here.ipynb', '01-Forward-Pass.ipynb', '02-Softmax-Gradient.ipynb',
     '03-Weight-Gradient.ipynb', '03a-Layouts-and-the-Trace-Method.ipynb']
    """
    workbook = Path(workbook)
    if not workbook.is_dir():
        raise ValueError(f"workbook must be a folder of notebooks; got {str(workbook)!r}")
    return sorted(workbook.glob("[0-9][0-9]*-*.ipynb"))


def page_name(notebook: str | Path) -> str:
    """The page a notebook becomes: the same name with ``.html``.

    >>> page_name("03a-Layouts-and-the-Trace-Method.ipynb")
    '03a-Layouts-and-the-Trace-Method.html'
    """
    if not str(notebook).endswith(".ipynb"):
        raise ValueError(f"notebook must be a file name ending in .ipynb; got {str(notebook)!r}")
    return Path(notebook).with_suffix(".html").name


def title(path: Path) -> str:
    """A notebook's number and its first heading, as the map writes them.

    >>> title(WORKBOOK / "05-ReLU-Gradient.ipynb")
    '05 ReLU Gradient'
    """
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            heading = re.search(r"^# (.+)$", cell.source, re.MULTILINE)
            if heading:
                return f"{Path(path).name.split('-')[0]} {heading.group(1).strip()}"
    raise ValueError(f"{Path(path).name} has no '# ' heading to name its page by")


def workbook_map(start: Path) -> str:
    """The Markdown of the section :data:`MAP_HEADING` of notebook 00, without the heading.

    >>> "[05 ReLU Gradient](05-ReLU-Gradient.ipynb)" in workbook_map(notebooks()[0])
    True
    """
    text = "\n\n".join(
        cell.source
        for cell in nbformat.read(start, as_version=4).cells
        if cell.cell_type == "markdown"
    )
    begin = text.find(MAP_HEADING)
    if begin < 0:
        raise ValueError(
            f"{Path(start).name} has no section {MAP_HEADING!r} to build the index from"
        )
    rest = text[begin + len(MAP_HEADING) :]
    end = re.search(r"^## ", rest, re.MULTILINE)
    return (rest[: end.start()] if end else rest).strip()


def index_notebook(paths: list[Path]) -> nbformat.NotebookNode:
    """A one-cell notebook for ``index.html``: the first notebook, then notebook 00's map, then
    any notebook the map does not link to."""
    names = {p.name for p in paths}
    section = workbook_map(paths[0])
    linked = {m.group(1) for m in MARKDOWN_LINK.finditer(section)}
    missing = sorted(linked - names)
    if missing:
        raise ValueError(
            f"the map of {paths[0].name} links to notebooks that do not exist: {missing}"
        )
    unlisted = [p for p in paths[1:] if p.name not in linked]
    parts = [
        "# Backprop Workbook",
        "The notebooks as pages, with their outputs and each explorer as it was saved; the "
        "sliders move only in JupyterLab (`make lab`) or in app mode (`make app`).",
        f"- [{title(paths[0])}]({paths[0].name}): where to begin: notation, conventions and "
        "how the notebooks work.",
        section,
    ]
    if unlisted:
        parts += ["Also in the workbook:", "\n".join(f"- [{title(p)}]({p.name})" for p in unlisted)]
    return nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("\n\n".join(parts))])


def link_pages(page: str) -> str:
    """Point the relative links to notebooks in an HTML page at their pages.

    >>> link_pages('<a href="05-ReLU-Gradient.ipynb#Summary">05</a>')
    '<a href="05-ReLU-Gradient.html#Summary">05</a>'
    >>> link_pages('<a href="https://example.org/x.ipynb">x</a>')
    '<a href="https://example.org/x.ipynb">x</a>'
    """
    if not isinstance(page, str):
        raise TypeError(f"page must be the text of an HTML page; got {type(page).__name__}")
    return HREF_TO_NOTEBOOK.sub(lambda m: f'href="{m.group(1)}.html{m.group(2) or ""}"', page)


def ensure_assets(node: Path = NODE) -> Path:
    """Install :data:`NPM_PACKAGES` into ``node`` with ``npm install --prefix`` unless they are
    there; returns ``node / "node_modules"``."""
    modules = Path(node) / "node_modules"
    if all((modules / source).exists() for source, _ in ASSETS.values()):
        return modules
    npm = shutil.which("npm")
    if npm is None:
        raise RuntimeError(
            "make site needs npm for MathJax and the widget manager: apt-get install -y npm"
        )
    command = [npm, "install", "--prefix", str(node), "--no-audit", "--no-fund", *NPM_PACKAGES]
    print(" ".join(command[1:]), flush=True)
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, timeout=600)
    return modules


def copy_assets(modules: Path, out: Path) -> None:
    """Copy the files of :data:`ASSETS` from ``node_modules`` into ``out/assets``."""
    for name, (source, patterns) in ASSETS.items():
        for pattern in patterns:
            found = sorted((Path(modules) / source).glob(pattern))
            if not found:
                raise RuntimeError(
                    f"{source}/{pattern} is missing from {modules}: rm -rf {modules}"
                )
            for file in found:
                target = out / "assets" / name / file.relative_to(Path(modules) / source)
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(file, target)


def exporter():
    """nbconvert's HTML exporter with the site's template and every script from ``assets/``."""
    from nbconvert import HTMLExporter

    return HTMLExporter(
        extra_template_basedirs=[str(TEMPLATE.parent)],
        template_name=TEMPLATE.name,
        require_js_url="assets/requirejs/require.js",
        mathjax_url="assets/mathjax/tex-svg-full.js",
        widget_renderer_url="assets/html-manager/embed-amd.js",
        # never asked for: every widget module the explorers use is inside embed-amd.js
        jupyter_widgets_base_url="assets/",
    )


def build_site(out: Path, workbook: Path = WORKBOOK, node: Path = NODE) -> list[Path]:
    """Write ``index.html``, one page per notebook and ``assets/`` into the folder ``out``
    (emptied first); returns the pages in reading order, the index first."""
    paths = notebooks(workbook)
    if not paths:
        raise ValueError(f"{workbook} holds no numbered notebooks (NN-Name.ipynb)")
    out = Path(out)
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    copy_assets(ensure_assets(node), out)
    titles = [title(p) for p in paths]
    pages = [("index.html", "Contents", index_notebook(paths))]
    pages += [
        (page_name(p), t, nbformat.read(p, as_version=4))
        for p, t in zip(paths, titles, strict=True)
    ]
    html_exporter = exporter()
    written = []
    for i, (name, page_title, nb) in enumerate(pages):
        nb.metadata["title"] = f"{page_title} · Backprop Workbook"
        neighbours = {
            "prev": pages[i - 1][:2] if i > 0 else None,
            "next": pages[i + 1][:2] if i + 1 < len(pages) else None,
            "index": None if i == 0 else ("index.html", "Contents"),
        }
        nav = {k: v and {"href": v[0], "title": html.escape(v[1])} for k, v in neighbours.items()}
        body, _ = html_exporter.from_notebook_node(
            nb, resources={"metadata": {"name": Path(name).stem}, "site_nav": nav}
        )
        (out / name).write_text(link_pages(body), encoding="utf-8")
        written.append(out / name)
    return written


def folder_size(folder: Path) -> int:
    """Bytes of every file under ``folder``."""
    return sum(f.stat().st_size for f in Path(folder).rglob("*") if f.is_file())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, help="the folder to write (emptied first)")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    pages = build_site(args.out)
    seconds = time.perf_counter() - start
    size = folder_size(args.out) / 2**20
    print(
        f"{len(pages)} pages in {args.out} ({size:.1f} MiB) in {seconds:.1f} s; "
        f"open {args.out / 'index.html'}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
