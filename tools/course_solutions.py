"""Reference solutions of the workbook's graded exercises, for the instructor's course.

``tools/course.py`` looks up each exercise function of a notebook here by its name, writes the
body below between nbgrader's ``### BEGIN SOLUTION`` and ``### END SOLUTION`` in the notebook's
own stub (students see the stub's signature and docstring, never these lines), and grades it in
a test cell: ``check(fn, stage)`` for the stages of :data:`backprop_core.registry.STAGES`, or the
test named in :data:`TESTS` for an exercise without a stage. They are written from the formulas
the notebooks derive, not copied from the library, and ``tests/test_course.py`` runs each one
through its own grader. A body may use ``np`` (every notebook imports NumPy so) and imports what
else it needs itself.
"""

import numpy as np

# Points per graded item; an exercise not listed here is worth DEFAULT_POINTS.
DEFAULT_POINTS = 2
POINTS = {
    "my_two_layer_loss": 3,
    "my_batchnorm_backward": 3,
    "max_pool_backward_first": 3,
}

# Exercises graded by a test of their own rather than by check: the test's code, which ends in an
# assertion whose message is what the student reads on failure.
TESTS = {
    "my_adam": (
        "gap = largest_difference(my_adam)\n"
        "assert gap < 1e-8, (\n"
        '    f"my_adam differs from optim.adam by {gap:.2e} within five steps (at most 1e-8): "\n'
        '    "count t before using it, then divide m by 1 - beta1**t and v by 1 - beta2**t"\n'
        ")"
    ),
    "tanh_jvp": (
        "rng = np.random.default_rng(7)\n"
        "x, v = rng.standard_normal((3, 4)), rng.standard_normal((3, 4))\n"
        "J_tanh = np.diag((1 - np.tanh(x) ** 2).ravel()).reshape(x.shape + x.shape)\n"
        "gap = np.abs(tanh_jvp(x, v) - np.tensordot(J_tanh, v, axes=2)).max()\n"
        "assert gap < 1e-12, (\n"
        '    f"tanh_jvp(x, v) differs from the Jacobian times v by {gap:.2e} (at most 1e-12): "\n'
        '    "the derivative of tanh is 1 - tanh(x)**2, applied entrywise to v"\n'
        ")"
    ),
    "squared_error_gradient": (
        "rng = np.random.default_rng(3)\n"
        "h, W, T = (rng.standard_normal(shape) for shape in ((4, 3), (3, 2), (4, 2)))\n"
        "numeric, step = np.zeros_like(W), 1e-6\n"
        "for index in np.ndindex(W.shape):  # central differences of 0.5 * ||h W - T||^2\n"
        "    E = np.zeros_like(W)\n"
        "    E[index] = step\n"
        "    up, down = h @ (W + E) - T, h @ (W - E) - T\n"
        "    numeric[index] = (0.5 * np.sum(up**2) - 0.5 * np.sum(down**2)) / (2 * step)\n"
        "mine = np.asarray(squared_error_gradient(h, W, T))\n"
        'assert mine.shape == W.shape, f"the gradient has shape {mine.shape}; W has {W.shape}"\n'
        "gap = np.abs(mine - numeric).max()\n"
        "assert gap < 1e-6, (\n"
        '    f"squared_error_gradient differs from central differences by {gap:.2e} (at most "\n'
        '    "1e-6): by the trace method, dl = tr((hW - T)^T h dW)"\n'
        ")"
    ),
}

# Notebooks whose exercises are all on paper or in the explorer: one of them, in code, appended
# after the notebook's exercise cells (number -> (the prompt, the stub)).
EXTRA = {
    "03a": (
        "**A written exercise of the course** (exercise 3, second part, in code): complete "
        "`squared_error_gradient(h, W, T)`, the gradient of "
        "$\\ell = \\tfrac12\\lVert hW - T\\rVert^2$ with respect to $W$, as the trace method "
        "gives it. The test compares it with central differences.",
        "def squared_error_gradient(h, W, T):\n"
        '    """dl/dW (D, C) for l = 0.5 * ||h W - T||^2, with h (N, D) and T (N, C)."""\n'
        "    ...\n",
    ),
}

# Notes shown above the graded test where the exercise's prose asks for a first version that is
# meant to fail a case: the graded version is the one that passes.
NOTES = {
    "02": "The chain route of the exercise divides by p and fails at scores of size 1e3, as the "
    "section says; the graded version must pass every case, so finish with one that does.",
    "08": "The version the exercise asks for first is meant to fail at scores of size 1e3; the "
    "graded version must pass every case.",
}


def my_softmax_loss(scores, y):
    N = len(y)
    rows = np.arange(N)
    shifted = scores - scores.max(axis=1, keepdims=True)  # every exponent at most 0
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    dscores = np.exp(log_probs)
    dscores[rows, y] -= 1
    return -log_probs[rows, y].mean(), dscores / N


def my_softmax_cross_entropy(scores, y):
    rows = np.arange(len(y))
    shifted = scores - scores.max(axis=1, keepdims=True)
    log_sum = np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    loss = np.mean(log_sum[:, 0] - shifted[rows, y])  # never the log of a probability
    dscores = np.exp(shifted - log_sum)
    dscores[rows, y] -= 1
    return loss, dscores / len(y)


def my_affine_backward(dout, cache):
    """(dx, dW, db) of out = x W + b, with dW as a sum of one outer product per sample."""
    x, W = cache
    x2 = x.reshape(len(x), -1)  # (N, D)
    dW = np.zeros_like(W)
    for p in range(len(x2)):
        dW += np.outer(x2[p], dout[p])
    db = np.zeros_like(dout[0])
    for row in dout:  # one arrow per sample into b
        db += row
    return (dout @ W.T).reshape(x.shape), dW, db


def your_affine_backward(dout, cache):
    """Return (dx, dW, db) for dout (N, M) and cache = (x, W)."""
    x, W = cache
    x2 = x.reshape(len(x), -1)
    return (dout @ W.T).reshape(x.shape), x2.T @ dout, dout.sum(axis=0)


def relu_backward_where(dout, cache, at_zero=0.0):
    x = cache.x
    return np.where(x > 0, dout, np.where(x == 0, at_zero * dout, 0 * dout))


def your_relu_backward(dout, cache):
    from backprop_core.activations import activation_from_text

    act = activation_from_text("max(0, x)")  # the engine's convention at 0: slope 0
    return act.backward(dout, cache)


def my_two_layer_loss(params, X, y, reg):
    W1, b1, W2, b2 = (params[name] for name in ("W1", "b1", "W2", "b2"))
    N = len(y)
    rows = np.arange(N)
    y1 = X @ W1 + b1  # (N, H)
    h1 = np.maximum(0, y1)
    y2 = h1 @ W2 + b2  # (N, C)
    shifted = y2 - y2.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    lam = 2 * reg  # the penalty 0.5 * lam * sum(W**2) is reg * sum(W**2)
    loss = -log_probs[rows, y].mean() + 0.5 * lam * (np.sum(W1**2) + np.sum(W2**2))
    dy2 = np.exp(log_probs)
    dy2[rows, y] -= 1
    dy2 /= N
    dh1 = dy2 @ W2.T
    dy1 = dh1 * (y1 > 0)
    grads = {
        "W1": X.T @ dy1 + lam * W1,
        "b1": dy1.sum(axis=0),
        "W2": h1.T @ dy2 + lam * W2,
        "b2": dy2.sum(axis=0),
    }
    return loss, grads


def my_batchnorm_backward(dout, cache):
    N = dout.shape[0]
    dgamma, dbeta = (dout * cache.xhat).sum(axis=0), dout.sum(axis=0)
    dxhat = dout * cache.gamma
    if cache.mode == "test":  # a fixed affine map of each entry
        return dxhat / cache.std, dgamma, dbeta
    distd = (dxhat * cache.xc).sum(axis=0)  # xhat = xc * istd
    dstd = -distd / cache.std**2  # istd = 1 / std
    dvar = 0.5 * dstd / cache.std  # std = sqrt(var)
    dxc = dxhat / cache.std + 2 * cache.xc * dvar / N  # var = mean(xc**2) + eps
    dmu = -dxc.sum(axis=0)  # xc = x - mu
    return dxc + dmu / N, dgamma, dbeta


def my_layernorm_backward(dout, cache):
    D = dout.shape[1]
    dgamma, dbeta = (dout * cache.xhat).sum(axis=0), dout.sum(axis=0)  # over the samples
    dxhat = dout * cache.gamma
    std = cache.std.reshape(-1, 1)  # one statistic per sample
    total = dxhat.sum(axis=1, keepdims=True)
    along = (dxhat * cache.xhat).sum(axis=1, keepdims=True)
    return (D * dxhat - total - cache.xhat * along) / (D * std), dgamma, dbeta


def max_pool_backward_first(dout, cache):
    x, pool_param = cache.x, cache.pool_param
    ph, pw, s = pool_param["pool_height"], pool_param["pool_width"], pool_param["stride"]
    dx = np.zeros_like(x)
    for n, c, i, j in np.ndindex(dout.shape):
        window = x[n, c, s * i : s * i + ph, s * j : s * j + pw]
        a, b = np.unravel_index(np.argmax(window), window.shape)  # the first maximum
        dx[n, c, s * i + a, s * j + b] += dout[n, c, i, j]
    return dx


def dropout_backward_mine(dout, cache):
    dropout_param, mask = cache
    if dropout_param["mode"] == "test":
        return dout.copy()
    return dout * mask  # the mask already holds 1/p


def svm_loss_mine(x, y):
    N = len(y)
    rows = np.arange(N)
    margins = np.maximum(0, x - x[rows, y][:, None] + 1)
    margins[rows, y] = 0
    active = (margins > 0).astype(x.dtype)  # slope 0 at a margin of exactly 0
    dx = active.copy()
    dx[rows, y] -= active.sum(axis=1)
    return margins.sum() / N, dx / N


def sigmoid_cross_entropy_mine(x, y):
    N = len(y)
    e = np.exp(-np.abs(x))  # at most 1: never overflows
    s = np.where(x >= 0, 1 / (1 + e), e / (1 + e))
    loss = np.mean(np.maximum(x, 0) - x * y + np.log1p(e))
    return loss, (s - y) / N


def my_adam(w, dw, config=None):
    config = {
        "learning_rate": 1e-3,
        "beta1": 0.9,
        "beta2": 0.999,
        "epsilon": 1e-8,
        "m": np.zeros_like(w),
        "v": np.zeros_like(w),
        "t": 0,
    } | (config or {})
    t = config["t"] + 1
    m = config["beta1"] * config["m"] + (1 - config["beta1"]) * dw
    v = config["beta2"] * config["v"] + (1 - config["beta2"]) * dw**2
    m_hat, v_hat = m / (1 - config["beta1"] ** t), v / (1 - config["beta2"] ** t)
    next_w = w - config["learning_rate"] * m_hat / (np.sqrt(v_hat) + config["epsilon"])
    return next_w, config | {"m": m, "v": v, "t": t}


def tanh_jvp(x, v):
    return (1 - np.tanh(x) ** 2) * v


def squared_error_gradient(h, W, T):
    return h.T @ (h @ W - T)  # dl = tr((hW - T)^T h dW)
