"""The mutation-testing report of ``make mutation``: the score per engine module and the survivors.

mutmut 3 (``[tool.mutmut]`` in pyproject.toml) writes, beside each mutated copy of a source file
in ``mutants/``, a ``.meta`` JSON file whose ``exit_code_by_key`` maps every mutant of that file
(``backprop_core.training.x_sgd__mutmut_3``) to the exit code of the tests run against it. This
tool reads those files, takes the change each surviving mutant makes from the mutated copy (the
``__mutmut_orig`` function against the ``__mutmut_N`` one) and sets apart the mutants marked
equivalent in ``tools/mutation_equivalents.toml``. A mark names the module, the function and the
changed line before and after, never mutmut's running number, which shifts when code changes::

    python -m tools.mutation_report                      # every module
    python -m tools.mutation_report --module backprop_core.training
    python -m tools.mutation_report --json               # the same, for a program

The score of a module is caught / (mutants - equivalent - not checked), where a mutant is caught
when a test failed (killed) or when the tests did not finish within mutmut's time limit (timeout:
a mutant that makes a loop endless, as mutmut and other mutation tools count it); timeouts are
listed apart. On a finished run no mutant is left unchecked, and a run stopped half-way scores
what it checked. Suspicious mutants and mutants no test reaches are not caught; a mutant marked
equivalent is counted under "equiv" only, not under "surv"; mutants not checked yet are counted
but not listed.
"""

from __future__ import annotations

import argparse
import ast
import difflib
import fnmatch
import json
import sys
from dataclasses import asdict, dataclass
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[1]
MUTANTS = ROOT / "mutants"
EQUIVALENTS = ROOT / "tools" / "mutation_equivalents.toml"

# mutmut 3.8's reading of a mutant's exit code (mutmut/stats.py, status_by_exit_code).
STATUS_BY_EXIT_CODE = {
    1: "killed",
    3: "killed",  # an internal error of pytest
    0: "survived",
    5: "no tests",
    33: "no tests",
    34: "skipped",
    35: "suspicious",
    36: "timeout",
    37: "caught by type check",
    24: "timeout",  # SIGXCPU, the CPU-time limit
    -24: "timeout",
    152: "timeout",
    255: "timeout",
    -11: "segfault",
    -9: "segfault",
    2: "interrupted",
    None: "not checked",
}
STATUSES = ("killed", "survived", "timeout", "suspicious", "no tests", "not checked", "other")
KINDS = (
    "message wording",
    "unreachable guard",
    "numerically identical",
    "performance only",
    "default never used",
)
MARK_FIELDS = ("module", "function", "before", "after", "kind", "reason")


@dataclass(frozen=True)
class Mutant:
    """One mutant: mutmut's name for it, where it lives, its status and the change it makes."""

    name: str
    module: str
    function: str
    status: str
    before: str = ""
    after: str = ""
    caught_by: str = ""  # the test that caught it, from mutants/mutmut-kills.log


def status_of(exit_code: int | None) -> str:
    """The status of a mutant from the exit code mutmut recorded, grouped as the report counts.

    >>> status_of(1), status_of(0), status_of(33), status_of(-24), status_of(None)
    ('killed', 'survived', 'no tests', 'timeout', 'not checked')
    >>> status_of(-11), status_of(35), status_of(37), status_of(34), status_of(99)
    ('suspicious', 'suspicious', 'killed', 'other', 'suspicious')
    """
    status = STATUS_BY_EXIT_CODE.get(exit_code, "suspicious")
    if status == "segfault":
        return "suspicious"
    if status == "caught by type check":
        return "killed"
    if status in ("skipped", "interrupted"):
        return "other"
    return status


def split_mutant_name(name: str) -> tuple[str, str, int]:
    """Module, function (``Class.method`` for a method) and number of a mutmut mutant name.

    >>> split_mutant_name("backprop_core.training.x_sgd__mutmut_3")
    ('backprop_core.training', 'sgd', 3)
    >>> split_mutant_name("backprop_core.net.xǁTwoLayerNetǁ__init____mutmut_12")
    ('backprop_core.net', 'TwoLayerNet.__init__', 12)
    >>> split_mutant_name("sgd")
    Traceback (most recent call last):
    ...
    ValueError: name must be a mutmut mutant name like 'pkg.module.x_function__mutmut_3'; got 'sgd'
    """
    if not isinstance(name, str):
        raise TypeError(f"name must be a str; got {type(name).__name__}")
    module, _, mangled = name.rpartition(".")
    function, marker, number = mangled.rpartition("__mutmut_")
    if not (module and marker and number.isdigit()) or not function.startswith(("x_", "xǁ")):
        raise ValueError(
            "name must be a mutmut mutant name like 'pkg.module.x_function__mutmut_3'; "
            f"got {name!r}"
        )
    if function.startswith("xǁ"):
        class_name, _, method = function[2:].partition("ǁ")
        return module, f"{class_name}.{method}", int(number)
    return module, function[2:], int(number)


def module_of(relative: Path) -> str:
    """The dotted module of a source file's path inside the repository, as mutmut names it.

    >>> module_of(Path("backprop_core/layers/relu.py"))
    'backprop_core.layers.relu'
    >>> module_of(Path("backprop_core/layers/__init__.py"))
    'backprop_core.layers'
    """
    parts = list(relative.with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def normalise(text: str) -> str:
    """A changed line (or lines) with runs of blanks made one space and the ends stripped, so a
    mark survives reformatting.

    >>> normalise("  grad  *=   learning_rate \\n   param -= grad")
    'grad *= learning_rate\\nparam -= grad'
    """
    lines = (" ".join(line.split()) for line in text.splitlines())
    return "\n".join(line for line in lines if line)


def changed_lines(original: str, mutant: str) -> tuple[str, str]:
    """The lines a mutant changes: those of ``original`` it removes and those it puts in their
    place, each normalised. The two sources are whole functions under the same name.

    >>> changed_lines("def f(a):\\n    a *= 2\\n", "def f(a):\\n    a /= 2\\n")
    ('a *= 2', 'a /= 2')
    >>> changed_lines("def f(a):\\n    check(a)\\n    return a\\n", "def f(a):\\n    return a\\n")
    ('check(a)', '')
    """
    old, new = original.splitlines(), mutant.splitlines()
    removed, added = [], []
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag != "equal":
            removed += old[i1:i2]
            added += new[j1:j2]
    return normalise("\n".join(removed)), normalise("\n".join(added))


def generated_functions(source: str) -> dict[str, str]:
    """The source of every function mutmut generated in a mutated file (``x_f__mutmut_orig``,
    ``x_f__mutmut_1``, ... and their methods' twins), keyed by name and renamed to the name the
    original function has, so that two of them differ only by the mutation.

    >>> code = "def x_f__mutmut_orig(a):\\n    return a\\n"
    >>> code += "def x_f__mutmut_1(a):\\n    return None\\n"
    >>> generated_functions(code)["x_f__mutmut_1"]
    'def f(a):\\n    return None'
    """
    lines = source.splitlines()
    found = {}
    tree = ast.parse(source)
    nodes = [*tree.body]
    nodes += [n for c in tree.body if isinstance(c, ast.ClassDef) for n in c.body]
    for node in nodes:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and "__mutmut_" in node.name:
            mangled = node.name.rpartition("__mutmut_")[0]
            original = mangled[2:].rpartition("ǁ")[2] if mangled.startswith("xǁ") else mangled[2:]
            text = "\n".join(lines[node.lineno - 1 : node.end_lineno])
            found[node.name] = text.replace(f"def {node.name}(", f"def {original}(", 1)
    return found


def mutated_patterns(pyproject: Path = ROOT / "pyproject.toml") -> list[str] | None:
    """The ``only_mutate`` globs of ``[tool.mutmut]`` in ``pyproject``, or None when it sets none.

    >>> "backprop_core/net.py" in mutated_patterns()
    True
    """
    config = tomllib.loads(Path(pyproject).read_text(encoding="utf-8"))
    return config.get("tool", {}).get("mutmut", {}).get("only_mutate") or None


def read_kills(mutants: Path = MUTANTS) -> dict[str, str]:
    """``{mutant: "test: error"}`` from ``mutmut-kills.log``, which ``tests/conftest.py`` writes
    under mutmut (one tab-separated line per failing test: mutant, test, phase, error); the
    first test that failed for each mutant, or nothing where there is no log."""
    log = Path(mutants) / "mutmut-kills.log"
    kills: dict[str, str] = {}
    if log.exists():
        for line in log.read_text(encoding="utf-8", errors="replace").splitlines():
            name, test, _, error = [*line.split("\t"), "", "", ""][:4]
            kills.setdefault(name, f"{test}: {error}" if error else test)
    return kills


def load_results(
    mutants: Path = MUTANTS,
    only: list[str] | None = None,
    marked: set[tuple[str, str]] | frozenset = frozenset(),
) -> list[Mutant]:
    """Every mutant recorded under ``mutants`` (mutmut's folder) for the source files matching
    one of the globs ``only`` (all of them for None; results of a file taken out of the
    configuration stay behind in mutants/), with the change of each one that was not killed,
    and of each killed one in a function of ``marked`` (``(module, function)`` pairs that have a
    mark: a marked mutant that was caught is reported); other killed mutants' changes are not
    read. A killed mutant carries the test that caught it, where the kill log names one."""
    mutants = Path(mutants)
    if not mutants.is_dir():
        raise FileNotFoundError(f"no mutmut results in {mutants}: run make mutation first")
    kills = read_kills(mutants)
    found = []
    for meta in sorted(mutants.rglob("*.py.meta")):
        source = meta.with_suffix("").relative_to(mutants).as_posix()
        if only is not None and not any(fnmatch.fnmatch(source, glob) for glob in only):
            continue
        codes = json.loads(meta.read_text())["exit_code_by_key"]
        copy = meta.with_suffix("")  # the mutated copy, beside its .meta
        module = module_of(copy.relative_to(mutants))
        sources = None
        for name, code in sorted(codes.items(), key=lambda item: split_mutant_name(item[0])):
            function = split_mutant_name(name)[1]
            status = status_of(code)
            before = after = ""
            if status != "killed" or (module, function) in marked:
                if sources is None:
                    sources = generated_functions(copy.read_text(encoding="utf-8"))
                generated = name.rpartition(".")[2]
                original = generated.rpartition("__mutmut_")[0] + "__mutmut_orig"
                if generated in sources and original in sources:
                    before, after = changed_lines(sources[original], sources[generated])
            caught_by = kills.get(name, "") if status == "killed" else ""
            found.append(Mutant(name, module, function, status, before, after, caught_by))
    return found


def load_marks(path: Path = EQUIVALENTS) -> list[dict[str, str]]:
    """The equivalent mutants marked in ``path`` (``[[equivalent]]`` tables of a TOML file), each
    checked to carry every field and a known kind."""
    data = tomllib.loads(Path(path).read_text(encoding="utf-8")) if Path(path).exists() else {}
    marks = data.get("equivalent", [])
    for index, mark in enumerate(marks):
        missing = [field for field in MARK_FIELDS if not isinstance(mark.get(field), str)]
        if missing:
            raise ValueError(
                f"equivalent #{index + 1} in {path} must give {', '.join(MARK_FIELDS)} as strings; "
                f"missing or not a string: {', '.join(missing)}"
            )
        if mark["kind"] not in KINDS:
            raise ValueError(
                f"equivalent #{index + 1} in {path} has kind {mark['kind']!r}; "
                f"expected one of {', '.join(KINDS)}"
            )
    return marks


def matches(mark: dict[str, str], mutant: Mutant) -> bool:
    """Whether a mark names this mutant: same module and function, same change (normalised).

    >>> m = Mutant("p.m.x_f__mutmut_1", "p.m", "f", "survived", "a *= 2", "a /= 2")
    >>> matches({"module": "p.m", "function": "f", "before": "a  *= 2", "after": "a /= 2"}, m)
    True
    >>> matches({"module": "p.m", "function": "g", "before": "a *= 2", "after": "a /= 2"}, m)
    False
    """
    return (
        mark["module"] == mutant.module
        and mark["function"] == mutant.function
        and normalise(mark["before"]) == mutant.before
        and normalise(mark["after"]) == mutant.after
    )


def score(caught: int, total: int, equivalent: int, unchecked: int = 0) -> float | None:
    """caught / (total - equivalent - unchecked), or None when no checked mutant is left to catch.

    >>> score(9, 12, 2), score(0, 3, 3), score(9, 14, 2, unchecked=2)
    (0.9, None, 0.9)
    """
    left = total - equivalent - unchecked
    return caught / left if left > 0 else None


def summarise(mutants: list[Mutant], marks: list[dict[str, str]]) -> dict:
    """The report: one row per module with its counts and score, the survivors (every mutant
    neither caught nor marked equivalent), the timeouts, the equivalent mutants by kind and the
    marks that matched no live mutant (killed since, or their code changed), and among those the
    marked mutants that were caught (the mark is wrong, or a test failed for another reason).
    Mutants not checked yet are counted, never listed.

    >>> ms = [Mutant("p.m.x_f__mutmut_1", "p.m", "f", "killed"),
    ...       Mutant("p.m.x_f__mutmut_2", "p.m", "f", "survived", "a *= 2", "a /= 2"),
    ...       Mutant("p.m.x_f__mutmut_3", "p.m", "f", "survived", "x = 1", "x = 2")]
    >>> mark = {"module": "p.m", "function": "f", "before": "x = 1", "after": "x = 2",
    ...         "kind": "performance only", "reason": "r"}
    >>> report = summarise(ms, [mark])
    >>> row = report["modules"]["p.m"]
    >>> row["total"], row["killed"], row["survived"], row["equivalent"], round(row["score"], 3)
    (3, 1, 1, 1, 0.5)
    >>> [s["after"] for s in report["survivors"]], report["equivalent_by_kind"]
    (['a /= 2'], {'performance only': 1})
    """
    modules: dict[str, dict] = {}
    survivors, timeouts, equivalents, caught_marked = [], [], [], []
    used = [False] * len(marks)
    for mutant in mutants:
        row = modules.setdefault(
            mutant.module, {"total": 0, **dict.fromkeys(STATUSES, 0), "equivalent": 0}
        )
        row["total"] += 1
        if mutant.status in ("killed", "timeout"):  # caught either way
            row[mutant.status] += 1
            if mutant.status == "timeout":
                timeouts.append(asdict(mutant))
            elif mutant.before or mutant.after:  # its change was read: its function has marks
                if any(matches(mark, mutant) for mark in marks):
                    caught_marked.append(asdict(mutant))
            continue
        hit = next((i for i, mark in enumerate(marks) if matches(mark, mutant)), None)
        if hit is not None:
            used[hit] = True  # a mark of a mutant not yet run is not stale
        if mutant.status == "not checked":
            row["not checked"] += 1
        elif hit is None:
            row[mutant.status] += 1
            survivors.append(asdict(mutant))
        else:
            row["equivalent"] += 1
            equivalents.append({**asdict(mutant), "kind": marks[hit]["kind"]})
    for row in modules.values():
        row["score"] = score(
            row["killed"] + row["timeout"], row["total"], row["equivalent"], row["not checked"]
        )
    keys = ("total", *STATUSES, "equivalent")
    totals = {key: sum(row[key] for row in modules.values()) for key in keys}
    totals["score"] = score(
        totals["killed"] + totals["timeout"],
        totals["total"],
        totals["equivalent"],
        totals["not checked"],
    )
    by_kind: dict[str, int] = {}
    for entry in equivalents:
        by_kind[entry["kind"]] = by_kind.get(entry["kind"], 0) + 1
    return {
        "modules": dict(sorted(modules.items())),
        "totals": totals,
        "survivors": survivors,
        "timeouts": timeouts,
        "equivalents": equivalents,
        "equivalent_by_kind": by_kind,
        "unmatched_marks": [mark for mark, hit in zip(marks, used, strict=True) if not hit],
        "caught_marked": caught_marked,
    }


def one_line(text: str, width: int = 90) -> str:
    """A changed line (or lines) on one line of at most ``width`` characters.

    >>> one_line("a\\nb"), one_line(""), one_line("x" * 10, width=6)
    ('a ⏎ b', '(nothing)', 'xxxxx…')
    """
    flat = " ⏎ ".join(text.splitlines()) or "(nothing)"
    return flat if len(flat) <= width else flat[: width - 1] + "…"


def format_text(report: dict) -> str:
    """The report as a table per module followed by the survivors, one or two lines each."""
    head = (
        f"{'module':38} {'mutants':>7} {'killed':>6} {'surv':>5} {'t/out':>5} {'susp':>4} "
        f"{'no test':>7} {'unchk':>5} {'equiv':>5} {'score':>6}"
    )
    lines = [head, "-" * len(head)]
    rows = [*report["modules"].items(), ("total", report["totals"])]
    for name, row in rows:
        shown = "-" if row["score"] is None else f"{100 * row['score']:.1f}%"
        lines.append(
            f"{name:38} {row['total']:>7} {row['killed']:>6} {row['survived']:>5} "
            f"{row['timeout']:>5} {row['suspicious']:>4} {row['no tests']:>7} "
            f"{row['not checked']:>5} {row['equivalent']:>5} {shown:>6}"
        )
    if report["equivalent_by_kind"]:
        kinds = ", ".join(f"{k}: {n}" for k, n in sorted(report["equivalent_by_kind"].items()))
        lines += ["", f"Equivalent by kind: {kinds}"]
    sections = (
        ("survivors", "Survivors ({}), not caught and not marked equivalent:"),
        ("timeouts", "Timeouts ({}), caught: the tests did not finish within mutmut's limit:"),
    )
    for key, title in sections:
        lines += ["", title.format(len(report[key]))]
        module = None
        for s in report[key]:
            if s["module"] != module:
                module = s["module"]
                lines.append(f"  {module}")
            lines.append(f"    {s['function']} [{s['status']}] {s['name'].rpartition('.')[2]}")
            lines.append(f"      - {one_line(s['before'])}")
            lines.append(f"      + {one_line(s['after'])}")
    if report["unmatched_marks"]:
        lines += ["", "Marks that match no live mutant (killed since, or their code changed):"]
        for mark in report["unmatched_marks"]:
            lines.append(f"  {mark['module']} {mark['function']}: {one_line(mark['before'])}")
    if report["caught_marked"]:
        lines += [
            "",
            f"Marked equivalent, yet caught ({len(report['caught_marked'])}): the mark is wrong, "
            "or the test failed for another reason:",
        ]
        for m in report["caught_marked"]:
            lines.append(f"  {m['module']} {m['function']} {m['name'].rpartition('.')[2]}")
            lines.append(f"      - {one_line(m['before'])}")
            lines.append(f"      + {one_line(m['after'])}")
            lines.append(
                f"      caught by {one_line(m['caught_by'] or 'a test the log does not name')}"
            )
    return "\n".join(lines)


def select(mutants: list[Mutant], module: str | None) -> list[Mutant]:
    """The mutants of ``module`` and of its submodules (all of them for None).

    >>> ms = [Mutant("a.b.x_f__mutmut_1", "a.b", "f", "killed"),
    ...       Mutant("a.bc.x_f__mutmut_1", "a.bc", "f", "killed")]
    >>> [m.module for m in select(ms, "a.b")], len(select(ms, None))
    (['a.b'], 2)
    """
    if module is None:
        return list(mutants)
    return [m for m in mutants if m.module == module or m.module.startswith(module + ".")]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.mutation_report", description=__doc__)
    parser.add_argument("--mutants", type=Path, default=MUTANTS, help="mutmut's mutants folder")
    parser.add_argument("--equivalents", type=Path, default=EQUIVALENTS)
    parser.add_argument("--module", help="one module (and its submodules), e.g. backprop_core.net")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    args = parser.parse_args(argv)
    try:
        only = mutated_patterns() if args.mutants.resolve() == MUTANTS else None
        marks = load_marks(args.equivalents)
        marked = {(mark["module"], mark["function"]) for mark in marks}
        mutants = select(load_results(args.mutants, only, marked), args.module)
    except (FileNotFoundError, ValueError) as error:
        parser.error(str(error))
    if args.module is not None:
        marks = [m for m in marks if select([Mutant("", m["module"], "", "")], args.module)]
    report = summarise(mutants, marks)
    print(json.dumps(report, indent=1, ensure_ascii=False) if args.json else format_text(report))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
