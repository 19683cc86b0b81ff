"""What the stack tools of notebooks 14 and 15 promise a caller: gradient checkpointing
(:mod:`~backprop_core.models.checkpointing`), the cost counts
(:mod:`~backprop_core.models.costs`), the memory of the caches
(:mod:`~backprop_core.models.memory`), the three Jacobians (:mod:`~backprop_core.models.modes`),
forward mode's tangents (:mod:`~backprop_core.models.tangents`) and the per-layer statistics
table (:mod:`~backprop_core.models.statistics`).

Every expected number is computed independently: byte counts from the arrays' shapes or from
``stored_bytes`` of the arrays named, dtypes from the package's rule (float32 in, float32 out).
"""

import itertools
from typing import NamedTuple

import numpy as np
import pytest

from backprop_core.models import modes, stack
from backprop_core.models.costs import pass_macs
from backprop_core.models.statistics import LayerStatistics, statistics_table

AFFINE = [stack.Layer("affine_backward", ("W", "b"))]
RELU = stack.Layer("relu_backward")
rng = np.random.default_rng(17)
PARAMS = {"W": rng.standard_normal((3, 2)), "b": rng.standard_normal(2)}
X = rng.standard_normal((2, 3))


def affine_relu(widths):
    """An affine-ReLU stack through ``widths`` (one sample wide enough to tell arrays apart)."""
    layers, params = [], {}
    local = np.random.default_rng(5)
    for i, (d, m) in enumerate(itertools.pairwise(widths)):
        layers += [stack.Layer("affine_backward", (f"W{i}", f"b{i}")), RELU]
        params[f"W{i}"] = local.standard_normal((d, m))
        params[f"b{i}"] = local.standard_normal(m)
    return layers, params


def unseeded_dropout():
    return [*AFFINE, stack.Layer("dropout_backward", (), {"p": 0.5, "mode": "train"})]


# -- checkpointing --------------------------------------------------------------------------------


def test_backward_checkpointed_leaves_dx_out_unless_asked():
    """Without ``need_dx`` the gradients hold the parameters' only; with it, ``"x"`` too."""
    layers, params = affine_relu([3, 4, 2])
    _, tape = modes.forward_checkpointed(layers, params, X, every=1)
    grads, _ = modes.backward_checkpointed(layers, params, tape, np.ones((2, 2)))
    assert sorted(grads) == sorted(params)
    grads, _ = modes.backward_checkpointed(layers, params, tape, np.ones((2, 2)), need_dx=True)
    assert sorted(grads) == sorted([*params, "x"])


@pytest.mark.parametrize("every", [1, 2, 3])
def test_the_tape_and_the_tradeoff_report_the_segment_length_asked_for(every):
    """``every`` comes back unchanged in the Tape and in the Tradeoff."""
    layers, params = affine_relu([3, 4, 4, 2])
    _, tape = modes.forward_checkpointed(layers, params, X, every)
    _, trade = modes.backward_checkpointed(layers, params, tape, np.ones((2, 2)))
    assert tape.every == every and trade.every == every


def test_a_tape_of_the_wrong_type_is_refused_naming_what_arrived():
    """The TypeError names the type of the object passed as the tape."""
    with pytest.raises(TypeError, match=r"^tape must be the Tape .*; got tuple$"):
        modes.backward_checkpointed(AFFINE, PARAMS, (), np.ones((2, 2)))


def test_a_bad_dout_is_refused_naming_dout():
    """A non-numeric dout is refused by name, before anything runs backward."""
    _, tape = modes.forward_checkpointed(AFFINE, PARAMS, X, 1)
    with pytest.raises(TypeError, match=r"^dout must be a numeric array"):
        modes.backward_checkpointed(AFFINE, PARAMS, tape, "dout")


def test_a_dout_of_the_wrong_shape_is_refused_saying_it_must_match_the_output():
    """The message gives the stack's output shape and why dout must have it."""
    _, tape = modes.forward_checkpointed(AFFINE, PARAMS, X, 1)
    with pytest.raises(
        ValueError,
        match=r"^dout must have shape \(2, 2\) to match the stack's output; got \(2, 3\)$",
    ):
        modes.backward_checkpointed(AFFINE, PARAMS, tape, np.ones((2, 3)))


def test_the_peak_of_a_recomputed_segment_is_its_input_and_caches_alone():
    """While the first (widest) segment runs again, the later segments' inputs are already
    released and the parameters its caches refer to are not counted: the peak is the bytes of
    that segment's input and caches."""
    layers, params = affine_relu([1, 50, 1, 1, 1, 1, 1])  # 12 layers, 3 segments of 4
    x = np.ones((1, 1))
    _, tape = modes.forward_checkpointed(layers, params, x, every=4)
    assert sorted(tape.inputs) == [0, 4]
    _, trade = modes.backward_checkpointed(layers, params, tape, np.ones((1, 1)))
    _, first = stack.forward(layers[:4], params, x)
    assert trade.peak_bytes == modes.stored_bytes([x, first], exclude=list(params.values()))


def test_checkpointing_counts_no_bytes_the_parameters_already_hold():
    """A ReLU whose input is one of the parameters stores nothing new: the peak is 0."""
    params = {"h": rng.standard_normal((2, 3))}
    _, tape = modes.forward_checkpointed([RELU], params, params["h"], every=1)
    _, trade = modes.backward_checkpointed([RELU], params, tape, np.ones((2, 3)))
    assert tape.peak_bytes == 0 and trade.peak_bytes == 0


def test_forward_checkpointed_refuses_train_mode_dropout_without_a_seed():
    """Checkpointing runs segments twice, so every run must drop the same units."""
    with pytest.raises(ValueError, match=r"layers\[1\]\.settings needs a 'seed' in train mode"):
        modes.forward_checkpointed(unseeded_dropout(), PARAMS, X, every=1)


# -- costs ----------------------------------------------------------------------------------------


def test_pass_macs_refuses_caches_that_do_not_match_the_layers():
    """One cache per layer: a shorter caches list is refused, not counted in part."""
    layers, params = affine_relu([3, 4, 2])
    _, caches = stack.forward(layers, params, X)
    assert pass_macs(layers, caches) == 2 * (3 * 4 + 4 * 2)  # N * D * M per affine layer
    with pytest.raises(ValueError, match=r"^caches must hold one cache per layer \(4, .*; got 2$"):
        pass_macs(layers, caches[:2])
    with pytest.raises(TypeError, match=r"^caches must be the list stack.forward returned; got"):
        pass_macs(layers, None)


# -- memory ---------------------------------------------------------------------------------------


class Kept(NamedTuple):
    out: np.ndarray


class OutputCaching:
    """An activation that keeps its output (the sigmoid of cs231n), in the cache ``keep`` makes."""

    def __init__(self, keep):
        self.keep = keep

    def forward(self, x):
        out = 1 / (1 + np.exp(-x))
        return out, self.keep(out)

    def backward(self, dout, cache):
        out = cache["out"] if isinstance(cache, dict) else cache[0]
        return dout * out * (1 - out)


@pytest.mark.parametrize(
    ("keep", "field"),
    [
        (Kept, "inner.out (2, 3)"),
        (lambda out: (out,), "inner[0] (2, 3)"),
        (lambda out: {"out": out}, "inner['out'] (2, 3)"),
    ],
    ids=["named tuple", "tuple", "dict"],
)
def test_cache_memory_names_each_cached_array_by_its_path_in_the_cache(keep, field):
    """An activation layer's cache holds the activation's own cache as ``inner``; inside it a
    named field follows a dot, a tuple's entry its index ``[i]``, a dict's its key ``['key']``."""
    layers = [stack.Layer("activation", (), {"activation": OutputCaching(keep)})]
    _, caches = stack.forward(layers, {}, X)
    assert modes.cache_memory(layers, {}, caches)[0].fields == (field,)


def test_an_array_two_caches_share_is_counted_once_at_the_first_layer_holding_it():
    """A sigmoid that keeps its output shares it with the next affine layer's cache."""
    layers = [stack.Layer("activation", (), {"activation": OutputCaching(lambda o: (o,))})]
    layers += AFFINE
    _, caches = stack.forward(layers, PARAMS, X)
    assert caches[0].inner[0] is caches[1].x
    table = modes.cache_memory(layers, PARAMS, caches)
    assert [row.nbytes for row in table] == [X.nbytes, 0]
    assert table[1].fields == ()


def test_the_parameters_a_cache_refers_to_are_all_counted():
    """A convolution's cache refers to its filters and its biases: both count as parameters."""
    layer = stack.Layer("conv_backward_naive", ("w", "b"), {"stride": 1, "pad": 1})
    params = {"w": rng.standard_normal((2, 1, 3, 3)), "b": rng.standard_normal(2)}
    _, caches = stack.forward([layer], params, rng.standard_normal((1, 1, 4, 4)))
    row = modes.cache_memory([layer], params, caches)[0]
    assert row.param_bytes == params["w"].nbytes + params["b"].nbytes


def test_caches_that_are_not_a_list_are_refused_naming_what_arrived():
    with pytest.raises(ValueError, match=r"^caches must be the list of 1 caches .*; got tuple$"):
        modes.cache_memory(AFFINE, PARAMS, (None,))


# -- modes ----------------------------------------------------------------------------------------

JACOBIANS = [modes.jacobian_forward, modes.jacobian_reverse, modes.jacobian_central]


@pytest.mark.parametrize("jacobian", JACOBIANS, ids=lambda f: f.__name__)
def test_a_float32_stack_gives_a_float32_jacobian(jacobian):
    """float32 in, float32 out: with float32 parameters, and with no parameters at all."""
    x = X.astype(np.float32)
    params = {k: v.astype(np.float32) for k, v in PARAMS.items()}
    kwargs = {"h": 1e-2} if jacobian is modes.jacobian_central else {}
    assert jacobian(AFFINE, params, x, **kwargs)[0].dtype == np.float32
    assert jacobian([RELU], {}, x, **kwargs)[0].dtype == np.float32


@pytest.mark.parametrize("jacobian", JACOBIANS, ids=lambda f: f.__name__)
def test_a_jacobian_too_large_is_refused_naming_the_stack_s_jacobian(jacobian):
    """(50, 50) in, (50, 500) out: 62,500,000 entries, more than the limit of 50,000,000."""
    params = {"W": np.zeros((50, 500)), "b": np.zeros(500)}
    with pytest.raises(ValueError, match=r"^the stack's Jacobian would have shape \(50, 500, 50"):
        jacobian(AFFINE, params, np.zeros((50, 50)))


@pytest.mark.parametrize(
    "jacobian", [modes.jacobian_reverse, modes.jacobian_central], ids=lambda f: f.__name__
)
def test_the_jacobians_refuse_train_mode_dropout_without_a_seed(jacobian):
    """Each Jacobian runs the stack more than once: every run must drop the same units."""
    with pytest.raises(ValueError, match=r"layers\[1\]\.settings needs a 'seed' in train mode"):
        jacobian(unseeded_dropout(), PARAMS, X)


# -- tangents -------------------------------------------------------------------------------------


def test_a_direction_of_the_wrong_shape_is_refused_saying_it_must_match_x():
    with pytest.raises(
        ValueError, match=r"^v must have shape \(2, 3\) to match x of shape \(2, 3\); got \(2, 2\)$"
    ):
        modes.jvp(AFFINE, PARAMS, X, np.ones((2, 2)))


BN = {"eps": 1e-5, "momentum": 0.9, "running_mean": np.zeros(3), "running_var": np.ones(3)}
NORMALISATIONS = {
    "batch norm, train": stack.Layer("batchnorm_backward", ("g", "b"), {**BN, "mode": "train"}),
    "batch norm, test": stack.Layer("batchnorm_backward", ("g", "b"), {**BN, "mode": "test"}),
    "layer norm": stack.Layer("layernorm_backward", ("g", "b"), {"eps": 1e-5}),
}


@pytest.mark.parametrize("layer", NORMALISATIONS.values(), ids=NORMALISATIONS)
def test_forward_mode_counts_no_multiply_adds_for_a_normalisation_layer(layer):
    """Normalising is elementwise work: x.size passes, 0 multiply-adds."""
    params = {"g": rng.standard_normal(3), "b": rng.standard_normal(3)}
    _, cost = modes.jacobian_forward([layer], params, X)
    assert cost == modes.Cost(X.size, 0)


# -- statistics -----------------------------------------------------------------------------------


def record(mean, std):
    return LayerStatistics(1, "h1", mean, std, mean, std, mean, std)


def test_statistics_table_refuses_anything_but_layer_statistics_records():
    with pytest.raises(TypeError, match=r"^records must be the list layer_statistics returns$"):
        statistics_table([(1, "h1", 0.0, 1.0, 0.0, 1.0, 0.0, 1.0)])


@pytest.mark.parametrize(("mean", "std"), [(1e-20, 1.0), (1e-7, 1e3), (-1e-16, 1e-6)])
def test_a_mean_below_a_billionth_of_its_std_is_shown_as_zero(mean, std):
    """Rounding error is shown as +0.0e+00 whatever the scale of the std."""
    row = statistics_table([record(mean, std)]).splitlines()[1]
    assert row.split()[1:] == ["+0.0e+00", f"{std:.1e}"] * 3


@pytest.mark.parametrize(("mean", "std"), [(3e-9, 1.0), (-2e-3, 1e3), (5e-15, 1e-6)])
def test_a_mean_above_a_billionth_of_its_std_is_shown(mean, std):
    row = statistics_table([record(mean, std)]).splitlines()[1]
    assert row.split()[1:] == [f"{mean:+.1e}", f"{std:.1e}"] * 3


def test_an_all_zero_layer_shows_a_mean_of_plus_zero():
    """A mean of -0.0 (a sum of negative zeros) with std 0 reads +0.0e+00, not -0.0e+00."""
    row = statistics_table([record(-0.0, 0.0)]).splitlines()[1]
    assert row.split()[1:] == ["+0.0e+00", "0.0e+00"] * 3
