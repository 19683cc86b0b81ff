"""Per-layer statistics of a deep net at initialisation (models/statistics.py) and the explorer of
notebook 14 (widgets/depth.py), driven from code."""

from __future__ import annotations

import copy

import numpy as np
import pytest

from backprop_core.models import FullyConnectedNet
from backprop_core.models.statistics import (
    LayerStatistics,
    deep_net,
    he_scale,
    hidden_activation,
    layer_scales,
    layer_statistics,
    moments,
    statistics_table,
    trend,
    xavier_scale,
)
from backprop_core.widgets import depth_explorer

RNG = np.random.default_rng(0)
X = RNG.standard_normal((200, 100))  # unit-normal inputs, as in the notebook and the explorer
Y = RNG.integers(0, 10, 200)


def stats(depth=10, **kwargs):
    return layer_statistics(deep_net([100] * depth, 100, 10, **kwargs), X, Y)


# -- scales --------------------------------------------------------------------------------------


def test_he_and_xavier_scales_are_the_papers_formulas():
    assert he_scale(100) == pytest.approx(np.sqrt(2 / 100), rel=1e-15)
    assert xavier_scale(100, 10) == pytest.approx(np.sqrt(2 / 110), rel=1e-15)
    assert layer_scales([100, 50, 10], "xavier") == pytest.approx(
        [np.sqrt(2 / 150), np.sqrt(2 / 60)], rel=1e-15
    )


@pytest.mark.parametrize(
    "call, error, text",
    [
        (lambda: he_scale(0), ValueError, "fan_in must be >= 1; got 0"),
        (lambda: he_scale(2.5), TypeError, "fan_in must be an integer"),
        (lambda: xavier_scale(3, True), TypeError, "fan_out must be an integer"),
        (lambda: layer_scales([3], "he"), ValueError, "sizes must hold an input and an output"),
        (lambda: layer_scales("34", "he"), TypeError, "sizes must be a list of layer sizes"),
        (lambda: layer_scales([3, 4], "kaiming"), ValueError, "init must be one of ('he', 'x"),
        (lambda: layer_scales([3, 4], -0.1), ValueError, "init must be > 0; got -0.1"),
        (lambda: layer_scales([3, 4], float("nan")), ValueError, "init must be finite"),
        (lambda: layer_scales([3, 4], None), TypeError, "init must be one of"),
        (lambda: deep_net([5], 4, 3, activation="swish"), ValueError, "activation must be one of"),
        (lambda: deep_net([5], 4, 3, normalization="group"), ValueError, "normalization must"),
        (lambda: hidden_activation(["relu"]), ValueError, "activation must be one of"),
        (lambda: deep_net([5], 4, 3, seed=-2), ValueError, "seed must be >= 0"),
        (lambda: moments("abc"), TypeError, "a must be a numeric array"),
        (lambda: moments([]), ValueError, "a must not be empty"),
    ],
)
def test_scale_functions_refuse_bad_arguments(call, error, text):
    with pytest.raises(error, match=None) as caught:
        call()
    assert text in str(caught.value)


def test_deep_net_scales_each_layer_and_keeps_the_same_draws():
    """W_l of deep_net(init) is the standard-normal draw of FullyConnectedNet(seed) times the
    layer's scale: changing the scale changes nothing else."""
    plain = FullyConnectedNet([30, 20], input_dim=40, num_classes=5, weight_scale=1.0, seed=3)
    net = deep_net([30, 20], 40, 5, init="he", dtype=np.float32, seed=3)
    for i, fan_in in zip((1, 2, 3), (40, 30, 20), strict=True):
        expected = (he_scale(fan_in) * plain.params[f"W{i}"]).astype(np.float32)
        np.testing.assert_allclose(net.params[f"W{i}"], expected, rtol=1e-6)
        assert net.params[f"W{i}"].dtype == np.float32


# -- layer_statistics against independent computations -------------------------------------------


def test_statistics_match_a_forward_and_backward_written_out_here():
    """A 2-hidden-layer ReLU net, forward and backward written with NumPy in this test: every
    mean and std agrees to 1e-12 (relative)."""
    net = deep_net([7, 6], input_dim=5, num_classes=4, init=0.7, seed=1)
    net.params["b1"] = np.linspace(-0.5, 0.5, 7)  # nonzero biases, so the means are not trivial
    x, y = RNG.standard_normal((9, 5)), RNG.integers(0, 4, 9)
    p = net.params
    y1 = x @ p["W1"] + p["b1"]
    h1 = np.maximum(y1, 0)
    y2 = h1 @ p["W2"] + p["b2"]
    h2 = np.maximum(y2, 0)
    scores = h2 @ p["W3"] + p["b3"]
    probs = np.exp(scores - scores.max(axis=1, keepdims=True))
    probs /= probs.sum(axis=1, keepdims=True)
    dscores = (probs - np.eye(4)[y]) / len(x)
    dh2 = dscores @ p["W3"].T
    dy2 = dh2 * (y2 > 0)
    dh1 = dy2 @ p["W2"].T
    dy1 = dh1 * (y1 > 0)
    expected = [
        (h1, dh1, x.T @ dy1),
        (h2, dh2, h1.T @ dy2),
        (scores, dscores, h2.T @ dscores),
    ]
    records = layer_statistics(net, x, y)
    assert [r.name for r in records] == ["h1", "h2", "scores"]
    assert [r.layer for r in records] == [1, 2, 3]
    for record, (h, dh, dW) in zip(records, expected, strict=True):
        got = np.array(record[2:])
        want = np.array([h.mean(), h.std(), dh.mean(), dh.std(), dW.mean(), dW.std()])
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-17, err_msg=record.name)


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"normalization": "batchnorm", "reg": 0.3},
        {"normalization": "layernorm"},
        {"dropout_keep_ratio": 0.6, "seed": 4},
    ],
    ids=["plain", "batchnorm+reg", "layernorm", "dropout"],
)
def test_weight_gradient_statistics_match_net_loss(kwargs):
    """The std of each dW equals that of net.loss's grads (reg included), to 1e-12."""
    kwargs = {"seed": 2, **kwargs}
    net = FullyConnectedNet(
        [12, 9], input_dim=6, num_classes=3, dtype=np.float64, weight_scale=0.3, **kwargs
    )
    x, y = RNG.standard_normal((10, 6)), RNG.integers(0, 3, 10)
    records = layer_statistics(net, x, y)
    _, grads = net.loss(x, y)
    for record in records:
        dW = grads[f"W{record.layer}"]
        assert record.weight_gradient_std == pytest.approx(dW.std(), rel=1e-12)
        assert record.weight_gradient_mean == pytest.approx(dW.mean(), rel=1e-9, abs=1e-15)


def test_tanh_and_sigmoid_layers_are_measured_after_the_activation():
    records = layer_statistics(
        deep_net([8], 5, 3, init=3.0, activation="sigmoid"), X[:20, :5], Y[:20] % 3
    )
    net = deep_net([8], 5, 3, init=3.0, activation="sigmoid")
    h1 = 1 / (1 + np.exp(-(X[:20, :5] @ net.params["W1"])))
    assert records[0].activation_mean == pytest.approx(h1.mean(), rel=1e-12)
    assert 0 < records[0].activation_mean < 1  # a sigmoid's output


def test_nothing_is_changed():
    """The net's params, its batch-norm running statistics and modes, and X and y, unchanged."""
    net = FullyConnectedNet(
        [8, 8],
        input_dim=5,
        num_classes=3,
        normalization="batchnorm",
        dropout_keep_ratio=0.5,
        dtype=np.float64,
        seed=0,
    )
    net.loss(X[:4, :5])  # leaves the modes at "test"
    params, bn, dropout = copy.deepcopy((net.params, net.bn_params, net.dropout_param))
    x, y = X[:6, :5].copy(), Y[:6] % 3
    x0, y0 = x.copy(), y.copy()
    layer_statistics(net, x, y)
    for name in params:
        np.testing.assert_array_equal(net.params[name], params[name])
    for before, after in zip(bn, net.bn_params, strict=True):
        assert after["mode"] == before["mode"] == "test"
        np.testing.assert_array_equal(after["running_mean"], before["running_mean"])
        np.testing.assert_array_equal(after["running_var"], before["running_var"])
    assert net.dropout_param == dropout
    np.testing.assert_array_equal(x, x0)
    np.testing.assert_array_equal(y, y0)


def test_float32_net_gives_float_statistics():
    net = deep_net([20, 20], 100, 10, init="he", dtype=np.float32)
    records = layer_statistics(net, X.astype(np.float32), Y)
    assert all(type(v) is float for r in records for v in r[2:])
    ref = layer_statistics(deep_net([20, 20], 100, 10, init="he"), X, Y)
    for a, b in zip(records, ref, strict=True):  # float32 agrees with float64 to its precision
        assert a.activation_std == pytest.approx(b.activation_std, rel=1e-4)
        assert a.gradient_std == pytest.approx(b.gradient_std, rel=1e-4)


def test_activations_are_derived_once_and_shared():
    assert hidden_activation("tanh") is hidden_activation("tanh")
    assert hidden_activation("relu") is None  # the engine's relu_backward stage


def test_moments_do_not_overflow():
    """The mean and std of entries near float64's largest value, against exact scaled ones."""
    a = np.array([1.5e308, -1.0e308, 0.5e308])
    mean, std = moments(a)
    assert mean == pytest.approx(np.mean(a / 1e308) * 1e308, rel=1e-12)
    assert std == pytest.approx(np.std(a / 1e308) * 1e308, rel=1e-12)
    assert moments(np.zeros(3)) == (0.0, 0.0)


def test_a_float32_net_beyond_its_range_reports_inf_not_an_error():
    net = deep_net([100] * 30, 100, 10, init=10.0, dtype=np.float32)
    records = layer_statistics(net, X.astype(np.float32), Y)
    assert np.isfinite(records[0].activation_std)
    assert not np.isfinite(records[-2].activation_std)  # about 70^30: beyond float32's 3e38


def test_large_scales_stay_finite():
    """30 layers at scale 1: activations near 1e25 and beyond, every statistic finite."""
    records = stats(depth=30, init=1.0)
    assert records[-2].activation_std > 1e20
    assert all(np.isfinite(v) for r in records for v in r[2:])


@pytest.mark.parametrize(
    "args, error, text",
    [
        (("net", X, Y), TypeError, "net must be a FullyConnectedNet; got str"),
        ((None, X, Y), TypeError, "net must be a FullyConnectedNet; got NoneType"),
        ((deep_net([4], 100, 10), X[:, :50], Y), ValueError, "X must hold N >= 1 samples of 100"),
        ((deep_net([4], 100, 10), X, Y[:10]), ValueError, "y must have shape (N,) = (200,)"),
        ((deep_net([4], 100, 10), X, Y + 5), ValueError, "y must lie in [0, 10) for C = 10"),
        ((deep_net([4], 100, 10), X, Y * 0.5), TypeError, "y must hold integer class labels"),
        (
            (deep_net([4], 100, 10), np.full((2, 100), np.nan), [0, 1]),
            ValueError,
            "X must be finite",
        ),
    ],
)
def test_layer_statistics_refuses_bad_arguments(args, error, text):
    with pytest.raises(error) as caught:
        layer_statistics(*args)
    assert text in str(caught.value)


def test_layer_statistics_refuses_a_broken_parameter():
    net = deep_net([4], 100, 10)
    net.params["W2"] = net.params["W2"][:2]
    with pytest.raises(ValueError, match=r"params\['W2'\] must have shape"):
        layer_statistics(net, X, Y)


# -- vanishing, exploding and steady, in the numbers ---------------------------------------------


def test_a_small_fixed_scale_makes_activations_and_gradients_vanish():
    """ReLU, 10 layers, scale 0.01: each layer multiplies the std by about 0.01 sqrt(100 / 2)."""
    records = stats(init=0.01)
    for field in ("activation_std", "gradient_std"):
        ratio, word = trend(records, field)
        assert word == "vanishing" and ratio < 1e-9, (field, ratio)
    h = [r.activation_std for r in records[:-1]]
    steps = np.array(h[1:]) / h[:-1]  # per-layer factor, against the prediction 0.0707
    np.testing.assert_allclose(steps, 0.01 * np.sqrt(50), rtol=0.2)


def test_a_large_fixed_scale_makes_them_explode():
    records = stats(init=1.0)
    for field in ("activation_std", "gradient_std"):
        ratio, word = trend(records, field)
        assert word == "exploding" and ratio > 1e6, (field, ratio)


def test_a_scale_so_large_that_the_numbers_overflow_is_called_exploding():
    """With scale 1000 over 12 float32 layers the statistics overflow to NaN; the trend is then
    "exploding", never "steady" (a NaN ratio fails both thresholds)."""
    rng = np.random.default_rng(0)
    X, y = rng.standard_normal((50, 100)), rng.integers(0, 10, 50)
    with np.errstate(all="ignore"):
        records = layer_statistics(deep_net([100] * 12, 100, 10, init=1e3, dtype=np.float32), X, y)
    for field in ("activation_std", "gradient_std", "weight_gradient_std"):
        ratio, word = trend(records, field)
        assert not np.isfinite(ratio) and word == "exploding", (field, ratio)


def test_he_keeps_relu_statistics_within_a_factor_of_two():
    records = stats(init="he")[:-1]
    for field in ("activation_std", "gradient_std", "weight_gradient_std"):
        values = np.array([getattr(r, field) for r in records])
        assert values.max() / values.min() < 2.0, (field, values)


def test_xavier_keeps_tanh_steady_and_is_too_small_for_relu():
    assert [
        trend(stats(init="xavier", activation="tanh"), f)[1]
        for f in ("activation_std", "gradient_std")
    ] == ["steady", "steady"]
    ratio, word = trend(stats(init="xavier"), "activation_std")  # ReLU: sqrt(1/2) per layer
    assert word == "vanishing" and ratio == pytest.approx(np.sqrt(0.5) ** 9, rel=0.5)


def test_batchnorm_repairs_a_bad_scale():
    bad, fixed = stats(init=0.01), stats(init=0.01, normalization="batchnorm")
    assert trend(bad, "gradient_std")[1] == "vanishing"
    assert [trend(fixed, f)[1] for f in ("activation_std", "gradient_std")] == ["steady"] * 2
    assert fixed[0].gradient_std > 1e9 * bad[0].gradient_std


def test_trend_and_table_refuse_what_is_not_a_list_of_records():
    records = stats(depth=2)
    with pytest.raises(ValueError, match="field must be one of"):
        trend(records, "activation_mean")
    with pytest.raises(TypeError, match="with a hidden layer"):
        trend(records[-1:], "gradient_std")
    with pytest.raises(TypeError, match="records must be the list"):
        statistics_table([1, 2])
    with pytest.raises(ValueError, match="factor must be > 0"):
        trend(records, "gradient_std", factor=0)
    table = statistics_table(records).splitlines()
    assert len(table) == 4 and table[0].split()[0] == "layer" and table[-1].startswith("scores")
    assert isinstance(records[0], LayerStatistics)


# -- the explorer ------------------------------------------------------------------------------


def numbers(summary):
    """Every number written like 4.58e-05 in a summary, as floats."""
    import re

    return [float(v) for v in re.findall(r"\d\.\d\de[+-]\d\d", summary)]


@pytest.fixture(scope="module")
def explorer():
    return depth_explorer()


def test_explorer_opens_vanishing_as_the_notebook_says(explorer):
    ex = explorer.set(depth=10, init="fixed", scale=0.01, activation="relu", normalization="none")
    lines = ex.summary().splitlines()
    assert lines[0].startswith("10 hidden layers of 100, relu, normalization none; fixed scale")
    assert lines[1].endswith("vanishing") and lines[2].endswith("vanishing")
    assert depth_explorer().summary() == ex.summary()  # the default state is this one


@pytest.mark.parametrize(
    "move",
    [
        {"depth": 25},
        {"init": "He"},
        {"init": "Xavier", "activation": "tanh"},
        {"scale": 1.0},
        {"activation": "sigmoid"},
        {"normalization": "batchnorm"},
        {"normalization": "layernorm", "init": "He"},
    ],
)
def test_explorer_readouts_are_the_statistics_it_computes(explorer, move):
    """The summary's numbers are layer_statistics of deep_net with the same settings, computed
    here; the figure's curves are the same numbers."""
    settings = {
        "depth": 10,
        "init": "fixed",
        "scale": 0.01,
        "activation": "relu",
        "normalization": "none",
        **move,
    }
    ex = explorer.set(**settings)
    init = {"fixed": settings["scale"], "He": "he", "Xavier": "xavier"}[settings["init"]]
    norm = None if settings["normalization"] == "none" else settings["normalization"]
    net = deep_net(
        [100] * settings["depth"],
        100,
        10,
        init=init,
        activation=settings["activation"],
        normalization=norm,
        seed=0,
    )
    records = layer_statistics(net, ex.X, ex.y)
    L = settings["depth"]
    h, dh, dW = (
        [getattr(r, f) for r in records[:-1]]
        for f in ("activation_std", "gradient_std", "weight_gradient_std")
    )
    f_ratio, b_ratio = trend(records, "activation_std")[0], trend(records, "gradient_std")[0]
    expected = [h[0], h[-1], dh[-1], dh[0], dW[-1], dW[0]]
    got = numbers(ex.summary())
    np.testing.assert_allclose(got, expected, rtol=6e-3)  # printed to 3 digits
    assert f"x{f_ratio:.1e}" in ex.summary() and f"x{b_ratio:.1e}" in ex.summary()
    forward, backward = ex.fig.axes
    np.testing.assert_allclose(forward.lines[0].get_ydata(), h, rtol=1e-12)
    np.testing.assert_allclose(backward.lines[0].get_ydata(), dh, rtol=1e-12)
    np.testing.assert_allclose(backward.lines[1].get_ydata(), dW, rtol=1e-12)
    np.testing.assert_array_equal(backward.lines[1].get_xdata(), np.arange(1, L + 1))


def test_the_scale_slider_acts_only_for_fixed_scales(explorer):
    ex = explorer.set(init="He", depth=10, activation="relu", normalization="none")
    assert ex.controls["scale"].disabled
    text, image = ex.summary(), ex.png()
    ex.set(scale=0.5)
    assert (ex.summary(), ex.png()) == (text, image)
    assert not ex.set(init="fixed").controls["scale"].disabled
    assert ex.summary() != text


@pytest.mark.parametrize(
    "control, value",
    [
        ("depth", 1),
        ("depth", 31),
        ("depth", 2.5),
        ("depth", None),
        ("init", "he"),
        ("init", None),
        ("scale", 0.0),
        ("scale", 10.0),
        ("scale", float("nan")),
        ("scale", "0.1"),
        ("activation", "gelu"),
        ("normalization", None),
        ("normalization", True),
    ],
)
def test_explorer_refuses_bad_values_and_keeps_working(explorer, control, value):
    ex = explorer.set(depth=4, init="fixed", scale=0.1, activation="relu", normalization="none")
    before = ex.summary()
    with pytest.raises(ValueError, match=f"control '{control}'"):
        ex.set(**{control: value})
    assert ex.summary() == before
    assert ex.set(depth=5).summary() != before


@pytest.mark.parametrize(
    "kwargs, error, text",
    [
        ({"width": 0}, ValueError, "width must be >= 1"),
        ({"width": 1000}, ValueError, "width must be at most 500"),
        ({"width": "100"}, TypeError, "width must be an integer"),
        ({"N": 1}, ValueError, "N must be at least 2"),
        ({"N": 10**6}, ValueError, "N must be at most 2000"),
        ({"seed": -1}, ValueError, "seed must be >= 0"),
        ({"seed": None}, TypeError, "seed must be an integer >= 0"),
        ({"seed": np.random.default_rng(0)}, TypeError, "seed must be an integer >= 0"),
    ],
)
def test_builder_refuses_bad_arguments(kwargs, error, text):
    with pytest.raises(error) as caught:
        depth_explorer(**kwargs)
    assert text in str(caught.value)


def test_a_browser_move_updates_like_set(explorer):
    explorer.set(depth=10, init="fixed", scale=0.01, activation="relu", normalization="none")
    explorer.controls["normalization"].value = "batchnorm"  # what a browser does
    assert not explorer.errors.outputs
    assert explorer.summary() == depth_explorer().set(normalization="batchnorm").summary()
