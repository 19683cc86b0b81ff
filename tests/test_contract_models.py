"""What the models of notebook 14 and the stack tools of notebooks 14 and 15 promise a caller:
cs231n's ``ThreeLayerConvNet`` (:mod:`~backprop_core.models.cnn`), gradient checkpointing
(:mod:`~backprop_core.models.checkpointing`), the cost counts
(:mod:`~backprop_core.models.costs`), He's and Xavier's scales
(:mod:`~backprop_core.models.initialisation`), the memory of the caches
(:mod:`~backprop_core.models.memory`), the three Jacobians (:mod:`~backprop_core.models.modes`),
the checks of a stack before they run it (:mod:`~backprop_core.models.stack_checks`), forward
mode's tangents (:mod:`~backprop_core.models.tangents`) and the per-layer statistics table and
trend (:mod:`~backprop_core.models.statistics`).

Every expected number is computed independently: byte counts from the arrays' shapes or from
``stored_bytes`` of the arrays named, dtypes from the package's rule (float32 in, float32 out).
"""

import inspect
import itertools
import warnings
from typing import NamedTuple

import numpy as np
import pytest

from backprop_core import gradcheck
from backprop_core.models import FullyConnectedNet, ThreeLayerConvNet, modes, stack
from backprop_core.models.costs import pass_macs
from backprop_core.models.initialisation import layer_scales
from backprop_core.models.stack_checks import check_stack
from backprop_core.models.statistics import (
    LayerStatistics,
    layer_statistics,
    moments,
    statistics_table,
    trend,
)

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


NEEDS_A_SEED = (
    r"^layers\[1\]\.settings needs a 'seed' in train mode: this runs the stack more than once "
    r"and every run must drop the same units$"
)


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
    with pytest.raises(ValueError, match=NEEDS_A_SEED):
        modes.forward_checkpointed(unseeded_dropout(), PARAMS, X, every=1)


# -- cnn ------------------------------------------------------------------------------------------

# cs231n assignment 2, cs231n/classifiers/cnn.py (as issue 13 quotes it):
# ThreeLayerConvNet(input_dim=(3, 32, 32), num_filters=32, filter_size=7, hidden_dim=100,
# num_classes=10, weight_scale=1e-3, reg=0.0, dtype=np.float32)
CS231N_CONV_DEFAULTS = {
    "input_dim": (3, 32, 32),
    "num_filters": 32,
    "filter_size": 7,
    "hidden_dim": 100,
    "num_classes": 10,
    "weight_scale": 1e-3,
    "reg": 0.0,
    "dtype": np.float32,
}
SMALL_CONV = {"input_dim": (1, 4, 4), "num_filters": 2, "filter_size": 3, "hidden_dim": 3}
IMAGES = np.random.default_rng(3).standard_normal((3, 1, 4, 4))


def small_conv(**kwargs):
    return ThreeLayerConvNet(**{**SMALL_CONV, "num_classes": 3, "seed": 0, **kwargs})


def test_the_conv_net_s_defaults_are_those_of_the_cs231n_assignment():
    """The signature shows cs231n's defaults, and a net built with none given has the shapes,
    dtype and penalty they make: 32 filters of 3 x 7 x 7, a hidden layer of 100, 10 classes."""
    parameters = inspect.signature(ThreeLayerConvNet).parameters
    defaults = {name: parameters[name].default for name in CS231N_CONV_DEFAULTS}
    assert defaults == CS231N_CONV_DEFAULTS
    net = ThreeLayerConvNet()
    pooled = 32 * 16 * 16  # 32 filters over the 32 x 32 image, halved by the 2 x 2 pool
    shapes = {"W1": (32, 3, 7, 7), "b1": (32,), "W2": (pooled, 100), "b2": (100,)}
    shapes |= {"W3": (100, 10), "b3": (10,)}
    assert {name: value.shape for name, value in net.params.items()} == shapes
    assert all(value.dtype == np.float32 for value in net.params.values())
    assert net.reg == 0.0
    assert abs(float(net.params["W2"].std()) / 1e-3 - 1) < 0.01  # weight_scale, over 819,200


@pytest.mark.parametrize(
    ("setting", "value", "message"),
    [
        ("input_dim", (0, 4, 4), r"^input_dim\[0\] must be >= 1; got 0$"),
        ("input_dim", (1, 4, 0), r"^input_dim\[2\] must be >= 1; got 0$"),
        ("filter_size", 0, r"^filter_size must be >= 1; got 0$"),
        ("hidden_dim", 0, r"^hidden_dim must be >= 1; got 0$"),
        ("num_classes", 0, r"^num_classes must be >= 1; got 0$"),
        ("weight_scale", 0.0, r"^weight_scale must be > 0; got 0.0$"),
        ("weight_scale", -1e-3, r"^weight_scale must be > 0; got -0.001$"),
        ("reg", -0.5, r"^reg must be >= 0.0; got -0.5$"),
    ],
)
def test_a_bad_conv_net_setting_is_refused_naming_the_setting(setting, value, message):
    """A learner sees which argument was wrong, and why: a size below 1, a scale of the weights
    that is not positive, a negative regularisation strength."""
    with pytest.raises(ValueError, match=message):
        small_conv(**{setting: value})


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_the_conv_net_computes_in_its_own_dtype_whatever_the_images(dtype):
    """Every parameter, the scores, the loss's gradients are of the dtype asked for, even for
    float64 images given to a float32 net (they are converted, not mixed in)."""
    net = small_conv(dtype=dtype)
    assert {value.dtype for value in net.params.values()} == {np.dtype(dtype)}
    assert net.loss(IMAGES).dtype == dtype
    _, grads = net.loss(IMAGES, [0, 1, 2])
    assert {value.dtype for value in grads.values()} == {np.dtype(dtype)}


def test_the_conv_net_s_weights_have_the_scale_asked_for_and_its_biases_start_at_zero():
    """W1, W2, W3 are drawn with standard deviation weight_scale; b1, b2, b3 are zeros."""
    net = ThreeLayerConvNet(
        input_dim=(1, 8, 8), num_filters=8, filter_size=3, hidden_dim=20, weight_scale=0.5, seed=0
    )
    for name in ("W1", "W2", "W3"):
        assert net.params[name].std() == pytest.approx(0.5, rel=0.25), name
    for name in ("b1", "b2", "b3"):
        assert not net.params[name].any(), name


def test_the_seed_fixes_the_conv_net_s_initial_weights():
    """Two nets built with the same seed start equal; another seed gives other weights."""
    first, twin, other = small_conv(seed=4), small_conv(seed=4), small_conv(seed=5)
    for name, value in first.params.items():
        np.testing.assert_array_equal(value, twin.params[name])
    assert not np.array_equal(first.params["W1"], other.params["W1"])


def test_the_conv_net_adds_half_reg_times_the_squared_weights_to_its_loss():
    """cs231n's penalty 0.5 * reg * sum(W**2) over W1, W2, W3 in the loss, reg * W in dW."""
    y = [0, 1, 2]
    plain, regularised = small_conv(dtype=np.float64), small_conv(dtype=np.float64, reg=0.7)
    loss, grads = plain.loss(IMAGES, y)
    reg_loss, reg_grads = regularised.loss(IMAGES, y)
    weights = [plain.params[name] for name in ("W1", "W2", "W3")]
    assert reg_loss == pytest.approx(loss + 0.35 * sum(np.sum(W**2) for W in weights))
    for name in ("W1", "W2", "W3"):
        np.testing.assert_allclose(reg_grads[name], grads[name] + 0.7 * plain.params[name])
    np.testing.assert_array_equal(reg_grads["b1"], grads["b1"])


@pytest.mark.parametrize(
    ("y", "error", "message"),
    [
        ([0, 1], ValueError, r"^y must have shape \(N,\) = \(3,\) to match the 3 samples"),
        ([0, 1, 3], ValueError, r"^y must lie in \[0, 3\) for C = 3; got 3$"),
        ([0.0, 1.0, 2.0], TypeError, r"^y must hold integer class labels"),
    ],
)
def test_the_conv_net_refuses_labels_that_do_not_fit_naming_y(y, error, message):
    """One label per image, each a class of the net: anything else is refused by name."""
    with pytest.raises(error, match=message):
        small_conv().loss(IMAGES, y)


def test_a_float32_conv_net_is_gradient_checked_on_a_float64_copy():
    """As cs231n does: the loss runs on the float64 copy's parameters, in float64."""
    report = gradcheck(small_conv(weight_scale=0.3), IMAGES, [0, 1, 2])
    assert report.in_float64 and all(row.verdict == "good" for row in report.rows), str(report)


def test_a_float32_conv_net_refuses_a_parameter_that_is_not_an_array_of_its_dtype():
    """A list of numbers in place of W1 becomes float64: refused naming W1 and the dtype."""
    net = small_conv()
    net.params["W1"] = net.params["W1"].tolist()
    with pytest.raises(TypeError, match=r"^params\['W1'\] must be float32, as the model; got"):
        net.loss(IMAGES)


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


@pytest.mark.parametrize(
    ("layers", "caches", "message"),
    [
        (None, [], r"^layers must be a list of stack.Layer; got NoneType$"),
        (AFFINE[0], [], r"^layers must be a list of stack.Layer; got Layer$"),
        (AFFINE, {0: None}, r"^caches must be the list stack.forward returned; got dict$"),
    ],
    ids=["layers None", "one layer alone", "caches a dict"],
)
def test_pass_macs_refuses_what_is_not_a_list_naming_the_argument_and_what_arrived(
    layers, caches, message
):
    with pytest.raises(TypeError, match=message):
        pass_macs(layers, caches)


# -- initialisation -------------------------------------------------------------------------------


def test_layer_scales_names_the_size_that_is_not_a_count():
    """A layer of 0 units is refused by its place in sizes."""
    with pytest.raises(ValueError, match=r"^sizes\[1\] must be >= 1; got 0$"):
        layer_scales([8, 0, 2], "he")


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
    with pytest.raises(ValueError, match=NEEDS_A_SEED):
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


# -- stack checks ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("layers", "params", "message"),
    [
        (42, {}, r"^layers must be a list of stack.Layer; got int$"),
        ([RELU, "relu_backward"], {}, r"^layers\[1\] must be a stack.Layer; got str$"),
        ([RELU], [], r"^params must be a dict of arrays; got list$"),
    ],
    ids=["layers", "a layer", "params"],
)
def test_check_stack_names_the_argument_of_the_wrong_type_and_what_arrived(layers, params, message):
    with pytest.raises(TypeError, match=message):
        check_stack(layers, params, X)


def test_check_stack_names_a_parameter_that_is_not_numeric():
    with pytest.raises(TypeError, match=r"^params\['W'\] must be a numeric array"):
        check_stack(AFFINE, {"W": "weights", "b": PARAMS["b"]}, X)


def test_check_stack_wants_an_affine_bias_of_the_weights_width():
    """The message gives the shape of W that b must match."""
    message = r"^params\['b'\] must have shape \(M,\) = \(2,\) to match \(3, 2\); got \(3,\)$"
    with pytest.raises(ValueError, match=message):
        check_stack(AFFINE, {"W": PARAMS["W"], "b": np.zeros(3)}, X)


@pytest.mark.parametrize("layer", NORMALISATIONS.values(), ids=NORMALISATIONS)
def test_check_stack_wants_a_gamma_of_the_input_s_width(layer):
    """gamma and beta hold one number per column of the (N, D) input they normalise."""
    message = (
        r"^params\['g'\] must have shape \(D,\) = \(3,\) to match the input of layers\[0\], "
        r"of shape \(2, 3\); got \(4,\)$"
    )
    with pytest.raises(ValueError, match=message):
        check_stack([layer], {"g": np.ones(4), "b": np.zeros(3)}, X)


@pytest.mark.parametrize("layer", NORMALISATIONS.values(), ids=NORMALISATIONS)
def test_check_stack_refuses_to_normalise_an_input_that_is_not_2_d(layer):
    message = r"^layers\[0\] normalises a 2-D input \(N, D\); got shape \(2, 3, 1\)$"
    with pytest.raises(ValueError, match=message):
        check_stack([layer], {"g": np.ones(3), "b": np.zeros(3)}, X[:, :, None])


def test_check_stack_wants_batch_norm_s_running_statistics_of_the_input_s_width():
    layer = stack.Layer(
        "batchnorm_backward", ("g", "b"), {**BN, "mode": "test", "running_mean": np.zeros(4)}
    )
    message = r"^bn_param\['running_mean'\] must have shape \(D,\) = \(3,\) for x with D = 3"
    with pytest.raises(ValueError, match=message):
        check_stack([layer], {"g": np.ones(3), "b": np.zeros(3)}, X)


def test_check_stack_wants_layer_norm_s_eps_naming_the_layer_s_settings():
    layer = stack.Layer("layernorm_backward", ("g", "b"), {})
    message = r"^layers\[0\]\.settings must hold 'eps' \(an ln_param\); got \[\]$"
    with pytest.raises(ValueError, match=message):
        check_stack([layer], {"g": np.ones(3), "b": np.zeros(3)}, X)


def test_check_stack_names_the_layer_whose_dropout_settings_are_wrong():
    layers = [*AFFINE, stack.Layer("dropout_backward", (), {"p": 2, "mode": "train"})]
    message = r"^layers\[1\]\.settings\['p'\] must be in \(0, 1\], the keep probability; got 2$"
    with pytest.raises(ValueError, match=message):
        check_stack(layers, PARAMS, X)


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


def hidden_layers(*stds):
    """Records of hidden layers h1, h2, ... whose three stds are each the number given, then the
    scores (which trend leaves out) with a std of 1e9."""
    records = [LayerStatistics(i, f"h{i}", 0.0, s, 0.0, s, 0.0, s) for i, s in enumerate(stds, 1)]
    return [*records, LayerStatistics(len(stds) + 1, "scores", *[0.0, 1e9] * 3)]


FIELDS = ("activation_std", "gradient_std", "weight_gradient_std")


@pytest.mark.parametrize("field", FIELDS)
@pytest.mark.parametrize(
    ("change", "word"),
    [(10.5, "exploding"), (10.0, "steady"), (0.1, "steady"), (1 / 10.5, "vanishing")],
)
def test_trend_calls_a_change_beyond_ten_times_exploding_or_vanishing(field, change, word):
    """By default (factor 10) a change by a factor of 10 exactly, either way, is still steady.
    Activations change forward (the last hidden layer over the first), gradients backward (the
    first over the last)."""
    stds = (1.0, 2.0, change) if field == "activation_std" else (change, 2.0, 1.0)
    ratio, named = trend(hidden_layers(*stds), field)
    assert ratio == change and named == word


@pytest.mark.parametrize(
    ("first", "last", "ratio"),
    [(0.0, 1.0, np.inf), (0.0, 0.0, np.nan), (1e-300, 1e300, np.inf)],
    ids=["divide", "invalid", "overflow"],
)
def test_trend_of_activations_that_vanish_or_blow_up_is_a_ratio_not_a_warning(first, last, ratio):
    """The first hidden layer's activations all zero, or a ratio beyond float64's range: the
    ratio is inf or nan, as NumPy computes it, and no RuntimeWarning is raised."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        found, _ = trend(hidden_layers(first, last), "activation_std")
    np.testing.assert_equal(found, ratio)


def test_trend_refuses_what_is_not_the_list_layer_statistics_returns():
    message = r"^records must be the list layer_statistics returns, with a hidden layer$"
    with pytest.raises(TypeError, match=message):
        trend(42, "gradient_std")
    with pytest.raises(TypeError, match=message):
        trend(tuple(hidden_layers(1.0, 2.0)), "gradient_std")


@pytest.mark.parametrize("field", ["activation_std", "gradient_std", "weight_gradient_std"])
def test_trend_of_a_signal_gone_to_zero_is_vanishing_not_an_error(field):
    """A value of 0 where the ratio divides gives an infinite or NaN ratio, never an exception;
    0 at both ends, as when every gradient underflowed, is called vanishing, not steady."""
    zeros = [LayerStatistics(i, f"hidden {i}", 0.0, 0.0, 0.0, 0.0, 0.0, 0.0) for i in (1, 2)]
    records = [*zeros, LayerStatistics(3, "scores", 0.0, 1.0, 0.0, 1.0, 0.0, 1.0)]
    ratio, word = trend(records, field)
    assert np.isnan(ratio) and word == "vanishing"
    ones = LayerStatistics(1, "hidden 1", 0.0, 1.0, 0.0, 1.0, 0.0, 1.0)
    found = trend([ones, zeros[1], records[-1]], field)
    # from 1 at the first hidden layer to 0 at the last: activations vanish on the way forward;
    # gradients, which travel from the last to the first, grow from 0 without bound
    assert found == ((0.0, "vanishing") if field == "activation_std" else (np.inf, "exploding"))


def bn_dropout_net(seed=3):
    return FullyConnectedNet(
        [6, 5],
        input_dim=4,
        num_classes=3,
        normalization="batchnorm",
        dropout_keep_ratio=0.7,
        reg=0.3,
        dtype=np.float64,
        seed=seed,
    )


STATS_X = np.random.default_rng(8).standard_normal((9, 4))
STATS_Y = np.array([0, 1, 2, 0, 1, 2, 0, 1, 2])


def test_layer_statistics_measure_the_training_pass_after_the_net_scored_in_test_mode():
    """Scoring a batch leaves batch norm and dropout in test mode; the statistics are still those
    of a training pass (batch statistics, dropped units), as on a net that never scored, and the
    net's running statistics are left as they were."""
    scored = bn_dropout_net()
    scored.loss(STATS_X)  # test mode
    before = [
        {k: v.copy() for k, v in bn.items() if k.startswith("running")} for bn in scored.bn_params
    ]
    expected = layer_statistics(bn_dropout_net(), STATS_X, STATS_Y)
    assert layer_statistics(scored, STATS_X, STATS_Y) == expected
    for bn, saved in zip(scored.bn_params, before, strict=True):
        for key, value in saved.items():
            np.testing.assert_array_equal(bn[key], value)


def test_layer_statistics_of_a_float64_copy_of_a_float32_net_are_taken_in_float64():
    """A gradient check's copy of a float32 model holds float64 arrays: the statistics are taken
    in the parameters' dtype, as its loss is, and agree with the float32 net's to its precision."""
    net32 = FullyConnectedNet([6, 5], input_dim=4, num_classes=3, reg=0.3, seed=2)
    copy = FullyConnectedNet([6, 5], input_dim=4, num_classes=3, reg=0.3, seed=2)
    copy.params = {k: v.astype(np.float64) for k, v in copy.params.items()}
    found, reference = (layer_statistics(n, STATS_X, STATS_Y) for n in (copy, net32))
    for a, b in zip(found, reference, strict=True):
        np.testing.assert_allclose(a[2:], b[2:], rtol=1e-4, atol=1e-6)


def test_layer_statistics_of_a_diverged_net_are_numbers_not_warnings():
    """An infinite weight in a net without penalty (reg = 0): the statistics say inf or nan
    where the numbers overflowed, without a RuntimeWarning (no 0 * inf penalty is formed)."""
    net = FullyConnectedNet([6, 5], input_dim=4, num_classes=3, dtype=np.float64, seed=2)
    net.params["W3"][0, 0] = np.inf
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        records = layer_statistics(net, STATS_X, STATS_Y)
    assert not np.isfinite(records[-1].activation_std)  # the scores overflowed
    assert np.isfinite(records[0].activation_std)  # h1 comes before W3


def test_layer_statistics_name_a_missing_first_weight_as_the_loss_does():
    net = FullyConnectedNet([6], input_dim=4, num_classes=3, seed=2)
    del net.params["W1"]
    message = r"^params must hold exactly \['W1', 'b1', 'W2', 'b2'\]; missing \['W1'\]$"
    with pytest.raises(ValueError, match=message):
        layer_statistics(net, STATS_X, STATS_Y)
    with pytest.raises(ValueError, match=message):
        net.loss(STATS_X, STATS_Y)


@pytest.mark.parametrize(
    ("values", "mean", "std"),
    [([1e308, 1e308, np.inf], np.inf, np.nan), ([np.nan, 1.0], np.nan, np.nan), ([0.0] * 3, 0, 0)],
)
def test_moments_of_overflowing_or_missing_values_are_numbers_not_warnings(values, mean, std):
    """inf and nan are what an overflowed layer reports: no RuntimeWarning on the way, even when
    finite entries overflow as they are summed beside an infinite one."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        found = moments(np.array(values))
    np.testing.assert_equal(found, (mean, std))


# -- fc_net ---------------------------------------------------------------------------------------


def fully_connected(hidden_dims, **settings):
    """cs231n's FullyConnectedNet, its weights seeded."""
    return FullyConnectedNet(hidden_dims, seed=0, **settings)


def small_net(dtype=np.float64, **settings):
    """A net of 5 inputs, hidden layers of 4 and 3 units, and 3 classes."""
    return fully_connected([4, 3], input_dim=5, num_classes=3, dtype=dtype, **settings)


@pytest.mark.parametrize(
    ("hidden_dims", "settings", "expected"),
    [
        (
            [20, 30],
            {"input_dim": 5, "num_classes": 3, "normalization": "batchnorm"},
            "FullyConnectedNet(hidden_dims=[20, 30], input_dim=5, num_classes=3, "
            "normalization='batchnorm')",
        ),
        (
            [],
            {},
            "FullyConnectedNet(hidden_dims=[], input_dim=3072, num_classes=10, normalization=None)",
        ),
    ],
)
def test_the_net_s_repr_shows_its_hidden_sizes_inputs_classes_and_normalization(
    hidden_dims, settings, expected
):
    """The repr reads like the call that builds the net, in cs231n's argument names (the
    defaults are cs231n's 3 * 32 * 32 inputs and 10 classes)."""
    assert repr(fully_connected(hidden_dims, **settings)) == expected


def without(params, name):
    return {key: value for key, value in params.items() if key != name}


@pytest.mark.parametrize(
    ("dtype", "set_wrong", "error", "message"),
    [
        (
            np.float64,
            lambda p: list(p.values()),
            TypeError,
            r"^params must be a dict of arrays; got list$",
        ),
        (
            np.float64,
            lambda p: without(p, "W1"),
            ValueError,
            r"^params must hold exactly \['W1', 'b1', 'W2', 'b2', 'W3', 'b3'\]; "
            r"missing \['W1'\]$",
        ),
        (
            np.float64,
            lambda p: {**p, "W2": p["W2"].T},
            ValueError,
            r"^params\['W2'\] must have shape \(4, 3\) as the model was built; got \(3, 4\)$",
        ),
        (
            np.float64,
            lambda p: {**p, "b3": "zeros"},
            TypeError,
            r"^params\['b3'\] must be a numeric array; got str 'zeros'$",
        ),
        (
            np.float32,
            lambda p: {**p, "b2": p["b2"].astype(np.float64)},
            TypeError,
            r"^params\['b2'\] must be float32, as the model; got float64$",
        ),
        (
            np.float32,
            lambda p: {**p, "W1": p["W1"].tolist()},
            TypeError,
            r"^params\['W1'\] must be float32, as the model; got float64$",
        ),
    ],
    ids=["not-a-dict", "missing", "shape", "not-numeric", "dtype", "list-in-a-float32-net"],
)
def test_params_set_wrong_are_refused_naming_the_parameter_what_it_must_be_and_why(
    dtype, set_wrong, error, message
):
    """A learner who set ``net.params`` by hand reads which parameter is wrong, the shape or
    dtype it must have and why (the model was built so). A list where an array belongs is read
    as float64, and a float32 net wants float32 (only a float64 W1 switches the whole net to
    float64, as a gradient check's copy does)."""
    net = small_net(dtype)
    net.params = set_wrong(net.params)
    with pytest.raises(error, match=message):
        net.loss(np.ones((2, 5)), np.array([0, 2]))


def spoiled(params, name, value, as_list=False):
    """``params`` with the first entry of ``params[name]`` set to ``value``."""
    array = params[name].copy()
    array.flat[0] = value
    return {**params, name: array.tolist() if as_list else array}


DIVERGED = r": training diverged\? \(try a smaller step\)$"


@pytest.mark.parametrize(
    ("name", "value", "as_list", "message"),
    [
        ("W2", np.nan, False, r"^params\['W2'\] holds NaN" + DIVERGED),
        ("b3", np.inf, False, r"^params\['b3'\] holds infinity" + DIVERGED),
        ("W1", np.nan, True, r"^params\['W1'\] holds NaN" + DIVERGED),
    ],
    ids=["nan", "infinity", "nan-in-a-list"],
)
def test_non_finite_scores_name_the_parameter_that_holds_a_nan_or_an_infinity(
    name, value, as_list, message
):
    """Scores with NaN or infinity are traced to the parameter holding one, as after a diverging
    run; the parameters' check before the forward pass looks at names, shapes and dtypes only,
    even for a parameter given as a list, which it reads anew at every call."""
    net = small_net()
    net.params = spoiled(net.params, name, value, as_list)
    with pytest.raises(ValueError, match=message):
        net.loss(np.ones((2, 5)))


def test_scores_that_overflow_with_finite_parameters_are_said_to_have_overflowed():
    """Every parameter finite, yet the scores of a float32 net with weights of scale 1e10 on
    inputs of 1e30 pass float32's largest number, 3.4e38."""
    net = small_net(np.float32, weight_scale=1e10)
    message = (
        r"^the scores are not finite although every parameter is: they overflowed "
        r"\(weights or inputs too large for the model's dtype\?\)$"
    )
    with pytest.raises(ValueError, match=message):
        net.loss(np.full((2, 5), 1e30))


def test_the_net_wants_one_label_per_sample():
    """Three labels for a batch of two samples are refused before any score is computed."""
    message = r"^y must have shape \(N,\) = \(2,\) to match the 2 samples of the batch; got \(3,\)$"
    with pytest.raises(ValueError, match=message):
        small_net().loss(np.ones((2, 5)), np.array([0, 1, 2]))
