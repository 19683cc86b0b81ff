"""tools/mutation_report.py on a small mutants/ folder written here, shaped as mutmut 3.8 writes
one: a mutated copy of each source file with its ``__mutmut_orig`` and ``__mutmut_N`` functions,
and a ``.meta`` JSON file beside it with each mutant's exit code. No mutmut run is needed."""

import json

import pytest

from tools import mutation_report as mr

TRAINING = '''\
def sgd(params, grads, learning_rate):
    """The trampoline mutmut puts in the original's place; the report never reads it."""


def x_sgd__mutmut_orig(params, grads, learning_rate):
    for name in params:
        grads[name] *= learning_rate
        params[name] -= grads[name]
    return params


def x_sgd__mutmut_1(params, grads, learning_rate):
    for name in params:
        grads[name] /= learning_rate
        params[name] -= grads[name]
    return params


def x_sgd__mutmut_2(params, grads, learning_rate):
    for name in params:
        grads[name] *= learning_rate
        params[name] += grads[name]
    return params


def x_sgd__mutmut_3(params, grads, learning_rate):
    for name in params:
        params[name] -= grads[name]
    return params
'''

NET = """\
class Net:
    def xǁNetǁcheck__mutmut_orig(self, reg):
        if reg < 0:
            raise ValueError("reg must be >= 0")

    def xǁNetǁcheck__mutmut_1(self, reg):
        if reg < 0:
            raise ValueError("XXreg must be >= 0XX")

    def xǁNetǁcheck__mutmut_2(self, reg):
        if reg <= 0:
            raise ValueError("reg must be >= 0")
"""

TRAINING_CODES = {
    "pkg.training.x_sgd__mutmut_1": 0,  # survived
    "pkg.training.x_sgd__mutmut_2": 1,  # killed
    "pkg.training.x_sgd__mutmut_3": -24,  # timeout (SIGXCPU)
    "pkg.training.x_sgd__mutmut_4": None,  # not checked yet: the run was stopped
}
NET_CODES = {
    "pkg.net.xǁNetǁcheck__mutmut_1": 0,  # survived: message wording
    "pkg.net.xǁNetǁcheck__mutmut_2": 1,
}
WORDING = """
[[equivalent]]
module = "pkg.net"
function = "Net.check"
before = 'raise ValueError("reg must be >= 0")'
after = 'raise ValueError("XXreg must be >= 0XX")'
kind = "message wording"
reason = "the message is the adversarial suite's to pin"
"""


def write_meta(path, codes):
    path.write_text(
        json.dumps(
            {
                "exit_code_by_key": codes,
                "hash_by_function_name": {},
                "type_check_error_by_key": {},
                "durations_by_key": {},
                "estimated_durations_by_key": {},
            }
        )
    )


@pytest.fixture
def mutants(tmp_path):
    folder = tmp_path / "mutants" / "pkg"
    folder.mkdir(parents=True)
    (folder / "training.py").write_text(TRAINING, encoding="utf-8")
    write_meta(folder / "training.py.meta", TRAINING_CODES)
    (folder / "net.py").write_text(NET, encoding="utf-8")
    write_meta(folder / "net.py.meta", NET_CODES)
    return tmp_path / "mutants"


def by_name(mutants):
    return {m.name.rpartition(".")[2]: m for m in mr.load_results(mutants)}


def test_statuses_come_from_the_exit_codes(mutants):
    found = by_name(mutants)
    assert found["x_sgd__mutmut_1"].status == "survived"
    assert found["x_sgd__mutmut_2"].status == "killed"
    assert found["x_sgd__mutmut_3"].status == "timeout"


def test_a_survivor_carries_the_line_it_changes(mutants):
    found = by_name(mutants)
    assert (found["x_sgd__mutmut_1"].before, found["x_sgd__mutmut_1"].after) == (
        "grads[name] *= learning_rate",
        "grads[name] /= learning_rate",
    )
    assert found["x_sgd__mutmut_3"].after == ""  # a deleted line


def test_methods_are_named_class_dot_method(mutants):
    found = by_name(mutants)
    assert found["xǁNetǁcheck__mutmut_1"].function == "Net.check"
    assert found["xǁNetǁcheck__mutmut_1"].module == "pkg.net"


def test_only_the_configured_files_are_read(mutants):
    modules = {m.module for m in mr.load_results(mutants, only=["pkg/net.py"])}
    assert modules == {"pkg.net"}


def test_scores_without_marks(mutants):
    report = mr.summarise(mr.load_results(mutants), [])
    training, net = report["modules"]["pkg.training"], report["modules"]["pkg.net"]
    assert (training["total"], training["killed"], training["survived"]) == (4, 1, 1)
    assert (training["timeout"], training["not checked"]) == (1, 1)
    assert training["score"] == pytest.approx(2 / 3)  # killed and timeout, of the three checked
    assert net["score"] == pytest.approx(1 / 2)
    assert report["totals"]["total"] == 6
    listed = {s["name"].rpartition(".")[2] for s in report["survivors"]}
    # a timeout is caught and listed apart; mutants not checked yet are not listed
    assert listed == {"x_sgd__mutmut_1", "xǁNetǁcheck__mutmut_1"}
    assert [s["name"].rpartition(".")[2] for s in report["timeouts"]] == ["x_sgd__mutmut_3"]


def test_a_mark_sets_a_mutant_apart_and_raises_the_score(mutants, tmp_path):
    marks_file = tmp_path / "equivalents.toml"
    marks_file.write_text(WORDING, encoding="utf-8")
    report = mr.summarise(mr.load_results(mutants), mr.load_marks(marks_file))
    net = report["modules"]["pkg.net"]
    assert (net["equivalent"], net["survived"], net["score"]) == (1, 0, 1.0)
    assert report["equivalent_by_kind"] == {"message wording": 1}
    assert all(s["module"] != "pkg.net" for s in report["survivors"])
    assert report["unmatched_marks"] == []


def test_a_mark_on_a_killed_or_vanished_mutant_is_reported_unmatched(mutants, tmp_path):
    marks_file = tmp_path / "equivalents.toml"
    marks_file.write_text(WORDING.replace("XXreg", "YYreg"), encoding="utf-8")
    report = mr.summarise(mr.load_results(mutants), mr.load_marks(marks_file))
    assert report["modules"]["pkg.net"]["equivalent"] == 0
    assert len(report["unmatched_marks"]) == 1


@pytest.mark.parametrize(
    "change, message",
    [
        (('kind = "message wording"', 'kind = "cosmetic"'), "has kind 'cosmetic'"),
        (("reason = ", "why = "), "missing or not a string: reason"),
    ],
)
def test_a_bad_mark_is_refused_by_name(tmp_path, change, message):
    marks_file = tmp_path / "equivalents.toml"
    marks_file.write_text(WORDING.replace(*change), encoding="utf-8")
    with pytest.raises(ValueError, match=message):
        mr.load_marks(marks_file)


def test_the_committed_marks_are_well_formed():
    for mark in mr.load_marks(mr.EQUIVALENTS):
        assert mark["reason"].strip()
        assert mark["module"].startswith("backprop_core.")


def test_the_command_line_prints_text_and_json(mutants, capsys):
    assert mr.main(["--mutants", str(mutants), "--module", "pkg.training"]) == 0
    text = capsys.readouterr().out
    assert "pkg.training" in text and "pkg.net" not in text
    assert "- grads[name] *= learning_rate" in text
    assert mr.main(["--mutants", str(mutants), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert set(report["modules"]) == {"pkg.training", "pkg.net"}


def test_no_results_is_a_clear_error(tmp_path, capsys):
    with pytest.raises(SystemExit):
        mr.main(["--mutants", str(tmp_path / "nowhere")])
    assert "run make mutation first" in capsys.readouterr().err


def test_a_mark_on_a_mutant_not_yet_run_is_not_reported_unmatched():
    """A stopped run leaves mutants not checked; their marks still match them."""
    waiting = mr.Mutant("p.m.x_f__mutmut_1", "p.m", "f", "not checked", "x = 1", "x = 2")
    mark = {
        "module": "p.m",
        "function": "f",
        "before": "x = 1",
        "after": "x = 2",
        "kind": "performance only",
        "reason": "r",
    }
    report = mr.summarise([waiting], [mark])
    assert report["unmatched_marks"] == [] and report["modules"]["p.m"]["equivalent"] == 0


BOUND = """
[[equivalent]]
module = "pkg.net"
function = "Net.check"
before = "if reg < 0:"
after = "if reg <= 0:"
kind = "unreachable guard"
reason = "a mark that is wrong: a test catches this mutant"
"""


def test_a_marked_mutant_that_was_caught_is_reported_with_the_test_that_caught_it(
    mutants, tmp_path, capsys
):
    (mutants / "mutmut-kills.log").write_text(
        "pkg.net.xǁNetǁcheck__mutmut_2\ttests/test_net.py::test_reg\tcall\tAssertionError: 0\n"
        "pkg.net.xǁNetǁcheck__mutmut_2\ttests/test_net.py::test_later\tcall\tValueError\n",
        encoding="utf-8",
    )
    marks_file = tmp_path / "equivalents.toml"
    marks_file.write_text(BOUND, encoding="utf-8")
    marks = mr.load_marks(marks_file)
    results = mr.load_results(mutants, marked={("pkg.net", "Net.check")})
    report = mr.summarise(results, marks)
    assert [(m["name"], m["caught_by"]) for m in report["caught_marked"]] == [
        ("pkg.net.xǁNetǁcheck__mutmut_2", "tests/test_net.py::test_reg: AssertionError: 0")
    ]
    assert report["modules"]["pkg.net"]["killed"] == 1  # still counted as mutmut counted it
    assert "caught by tests/test_net.py::test_reg: AssertionError: 0" in mr.format_text(report)
    mr.main(["--mutants", str(mutants), "--equivalents", str(marks_file)])
    assert "Marked equivalent, yet caught (1)" in capsys.readouterr().out


def test_a_killed_mutant_in_a_function_without_marks_is_not_read(mutants, tmp_path):
    marks_file = tmp_path / "equivalents.toml"
    marks_file.write_text(BOUND, encoding="utf-8")
    report = mr.summarise(mr.load_results(mutants), mr.load_marks(marks_file))
    assert report["caught_marked"] == []
    killed = by_name(mutants)["x_sgd__mutmut_2"]
    assert (killed.before, killed.after, killed.caught_by) == ("", "", "")
