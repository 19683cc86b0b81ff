"""``python -m backprop_core``: exit status 0 when every check passes, 1 when one fails, 2 on bad
usage; readable on a terminal that cannot print ✓ and ✗."""

import io
import subprocess
import sys

import pytest

from backprop_core.__main__ import main, printable


@pytest.mark.parametrize(
    "argv, message",
    [
        (["verify", "--seed", "-1"], "must be an integer >= 0; got -1"),
        (["verify", "--seed", "abc"], "must be an integer >= 0; got 'abc'"),
        (["verify", "--seed", "1.5"], "must be an integer >= 0; got '1.5'"),
        (["prove"], "invalid choice: 'prove'"),
        ([], "the following arguments are required: command"),
    ],
)
def test_bad_usage_exits_with_status_2_and_says_why(argv, message, capsys):
    with pytest.raises(SystemExit) as stop:
        main(argv)
    assert stop.value.code == 2
    assert message in capsys.readouterr().err


def test_a_terminal_without_check_marks_gets_ascii():
    ascii_stream = io.TextIOWrapper(io.BytesIO(), encoding="ascii")
    assert printable("dW2 ✓ | dx ✗ | max |Δ|", ascii_stream) == "dW2 ok | dx FAIL | max |d|"
    utf8_stream = io.TextIOWrapper(io.BytesIO(), encoding="utf-8")
    assert printable("dW2 ✓", utf8_stream) == "dW2 ✓"


@pytest.mark.slow  # a fresh interpreter derives everything again: several seconds
def test_verify_runs_on_an_ascii_terminal():
    run = subprocess.run(
        [sys.executable, "-m", "backprop_core", "verify"],
        capture_output=True,
        text=True,
        env={"PYTHONIOENCODING": "ascii", "PATH": ""},
    )
    assert run.returncode == 0, run.stderr[-2000:]
    assert " ok" in run.stdout and "all checks pass" in run.stdout
