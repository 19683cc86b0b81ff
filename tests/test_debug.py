"""diagnose() names the cause of every gallery bug and never accuses the engine; check() agrees.

The stages, their engines and their bugs all come from the registry.
"""

import numpy as np
import pytest

from backprop_core import layers, registry, two_layer_loss
from backprop_core.debugging import BUGS, check, diagnose
from backprop_core.debugging.diagnose import HINTS, spec_of

NAMES = registry.NAMES


@pytest.mark.parametrize("stage", NAMES)
def test_every_stage_has_bugs_and_a_hint_for_each_cause(stage):
    spec = spec_of(stage)
    bugs = [bug for bug in BUGS if bug.stage == stage]
    assert bugs, f"{stage} has no broken version in the gallery"
    for bug in bugs:
        assert spec.hints.get(bug.cause) or HINTS.get(bug.cause), (stage, bug.cause)
    assert {bug.stage for bug in BUGS} <= set(NAMES)
    assert len({bug.name for bug in BUGS}) == len(BUGS), "bug names are unique"


@pytest.mark.parametrize("bug", BUGS, ids=[b.name for b in BUGS])
def test_diagnose_names_the_cause_of_every_gallery_bug(bug):
    found = diagnose(bug.fn, bug.stage)
    assert not found.ok
    assert (found.stage, found.cause) == (bug.stage, bug.cause), str(found)
    assert found.hint and found.hint in str(found)


@pytest.mark.parametrize("stage", NAMES)
def test_no_false_alarm_on_the_engine_over_many_seeds(stage):
    """100 random draws of every case (kinks included): the engine is never accused."""
    for seed in range(100):
        found = diagnose(spec_of(stage).engine, stage, seed=seed)
        assert found.ok, f"seed {seed}: {found}"


@pytest.mark.parametrize(
    "name, culprit",
    [
        ("net_no_mean", "softmax_cross_entropy"),
        ("reg_missing", "the regularisation term"),
        ("reg_no_factor_2", "the regularisation term"),
        ("relu_seed_convention", "relu_backward"),
        ("bias_wrong_axis", "affine_backward"),
    ],
)
def test_the_stage_at_fault_is_named(name, culprit):
    bug = next(b for b in BUGS if b.name == name)
    assert diagnose(bug.fn, bug.stage).culprit.startswith(culprit)


def test_a_whole_net_with_a_wrong_layer_2_bias_points_at_layer_2():
    def wrong_db2(params, X, y, reg):
        loss, grads = two_layer_loss(params, X, y, reg)
        return loss, {**grads, "b2": 2 * grads["b2"] + 0.1}

    found = diagnose(wrong_db2, "two_layer_loss")
    assert (found.gradient, found.culprit) == ("db2", "affine_backward of layer 2")
    assert "stage at fault: affine_backward of layer 2" in str(found)


def test_diagnosis_reads_well_and_says_what_a_gradient_check_would_say():
    bug = next(b for b in BUGS if b.name == "softmax_no_mean")
    text = str(diagnose(bug.fn, bug.stage))
    assert "N = 5 times too large" in text
    assert "a plain gradient check would only say: relative error" in text
    assert "02-Softmax-Gradient" in text


def test_diagnose_leaves_its_own_cases_untouched_by_a_mutating_candidate():
    bug = next(b for b in BUGS if b.name == "relu_mutates_dout")
    assert diagnose(bug.fn, bug.stage).gradient == "dout"
    assert diagnose(layers.relu_backward, "relu_backward").ok  # fresh cases each call


@pytest.mark.parametrize("stage", NAMES)
def test_check_passes_the_engine(stage):
    result = check(spec_of(stage).engine, stage)
    assert result.passed and str(result).startswith("passed:")


@pytest.mark.parametrize("bug", BUGS, ids=[b.name for b in BUGS])
def test_check_fails_every_gallery_bug_with_the_matching_message(bug):
    result = check(bug.fn, bug.stage)
    found = diagnose(bug.fn, bug.stage)
    assert not result.passed
    assert found.explanation in result.message and found.hint in result.message


def test_check_reports_shapes_for_a_transposed_weight_gradient():
    def my_affine_backward(dout, cache):
        x, W = cache
        return dout @ W.T, dout.T @ x, dout.sum(axis=0)

    message = check(my_affine_backward, "affine_backward").message
    assert "shape (2, 3), the transpose of the expected (3, 2)" in message


def test_check_catches_a_float32_only_mistake():
    def loses_float32(dout, cache):
        return np.asarray(layers.relu_backward(dout, cache), dtype=np.float16)

    assert not check(loses_float32, "relu_backward").passed


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="stage must be one of"):
        diagnose(layers.relu_backward, "relu")
    with pytest.raises(TypeError, match="fn must be a function"):
        diagnose("relu", "relu_backward")


def test_a_learners_own_parameter_names_and_loss_are_fine_or_caught():
    def my_softmax_loss(s, labels):  # other names than the engine's: called positionally
        return layers.softmax_cross_entropy(s, labels)

    assert check(my_softmax_loss, "softmax_cross_entropy").passed

    def wrong_loss(s, labels):
        return 12345.0, layers.softmax_cross_entropy(s, labels)[1]

    found = diagnose(wrong_loss, "softmax_cross_entropy")
    assert (found.gradient, found.cause) == ("loss", "loss")
    assert "the gradients are right but the loss is 12345.0" in str(found)


def test_a_crash_is_reported_as_such():
    def crashes(dout, cache):
        raise RuntimeError("not written yet")

    message = check(crashes, "affine_backward").message
    assert message.startswith("not yet: it fails on the case 'N = 1'")
    assert "raises RuntimeError: not written yet" in message


def test_every_generic_cause_has_a_hint():
    """patterns.classify can name these causes in any stage: each must say what to read."""
    generic = {"transpose", "bias-axis", "shape", "overflow", "factor-N", "factor", "values"}
    generic |= {"non-finite", "zeros"}
    returns = {"returns-none", "arity", "returns-type", "not-numeric", "complex", "dtype"}
    calls = {"raises", "mutation", "loss", "timeout", "signature", "unreadable"}
    assert generic | returns | calls <= set(HINTS)


def test_a_bias_summed_over_the_wrong_axis_is_named_in_a_whole_net_too():
    def wrong_db1(params, X, y, reg):
        loss, grads = two_layer_loss(params, X, y, reg)
        return loss, {**grads, "b1": np.ones(len(X))}

    found = diagnose(wrong_db1, "two_layer_loss")
    assert found.cause == "bias-axis" and found.hint == HINTS["bias-axis"], str(found)
