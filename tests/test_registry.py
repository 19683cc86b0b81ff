"""Every registered stage, proven from its record: each backward result against central
differences, each full Jacobian against central differences and contracted into the backward
result, and the record's modules complete. A new stage is tested here by being registered."""

import numpy as np
import pytest
from helpers import numerical_jacobian

from backprop_core import numerical_gradient_array, registry, rel_error, vjp
from backprop_core.debugging.spec import Spec

STAGES = registry.STAGES
IDS = [stage.name for stage in STAGES]
GOOD = 1e-7  # cs231n's "good": a loss of ~1 carries ~1e-11 of round-off into each entry
EXACT = 1e-12  # a full Jacobian contracted against the compact backward formula


def cases(kind) -> list:
    """Every case of every stage's numeric module, as pytest params named by stage and case."""
    return [
        pytest.param(case, id=f"{stage.name}: {case.label}")
        for stage in STAGES
        for case in getattr(stage.load("numeric"), kind)(np.random.default_rng(1234))
    ]


@pytest.mark.parametrize("case", cases("gradient_cases"))
def test_backward_matches_central_differences(case):
    numeric = numerical_gradient_array(case.f, case.x.copy(), case.dout)
    assert case.analytic.shape == case.x.shape
    assert rel_error(case.analytic, numeric) < GOOD


@pytest.mark.parametrize("case", cases("jacobian_cases"))
def test_full_jacobian_matches_central_differences_and_contracts_to_backward(case):
    assert case.J.shape == np.shape(case.f(case.x)) + case.x.shape
    assert np.allclose(case.J, numerical_jacobian(case.f, case.x.copy()), rtol=0, atol=1e-9)
    assert rel_error(vjp(case.J, case.dout), case.analytic) <= EXACT


@pytest.mark.parametrize("stage", STAGES, ids=IDS)
def test_every_record_names_complete_modules(stage):
    numeric, debugging = stage.load("numeric"), stage.load("debugging")
    assert callable(numeric.gradient_cases) and callable(numeric.jacobian_cases)
    assert isinstance(debugging.SPEC, Spec) and all(b.stage == stage.name for b in debugging.BUGS)
    assert debugging.SPEC.engine.__name__ == stage.name  # the engine is the function learners write
    assert stage.notebook and stage.signature.startswith("fn(")


def test_every_stage_with_a_jacobian_has_one_case_per_gradient_or_none():
    counted = {
        s.name: sum(1 for _ in s.load("numeric").jacobian_cases(np.random.default_rng(0)))
        for s in STAGES
    }
    assert counted == {
        "softmax_cross_entropy": 1,
        "affine_backward": 3,
        "relu_backward": 2,
        "batchnorm_backward": 4,  # x, gamma, beta in train mode; x in test mode
        "layernorm_backward": 3,
        "dropout_backward": 3,
        "svm_loss": 1,
        "sigmoid_cross_entropy": 1,
        "conv_backward_naive": 3,
        "max_pool_backward_naive": 2,
        "two_layer_loss": 0,
    }


def test_names_are_unique_and_unknown_names_are_refused():
    assert len(set(IDS)) == len(IDS)
    with pytest.raises(ValueError, match="stage must be one of"):
        registry.get("groupnorm_backward")
    with pytest.raises(ValueError, match="part must be"):
        STAGES[0].load("widgets")
