"""cs231n's ``ThreeLayerConvNet``: conv - relu - 2x2 max pool - affine - relu - affine - softmax.

The same stack of registered layers as :class:`~backprop_core.models.FullyConnectedNet`, with the
fast convolution and pooling kernels; inputs are images (N, C, H, W).
"""

from __future__ import annotations

import numpy as np

from .._checks import as_count, as_float_dtype, as_labels, as_scalar, as_seed
from . import stack
from .fc_net import as_batch, check_params, classify, params_dtype


class ThreeLayerConvNet:
    """conv - relu - 2x2 max pool - affine - relu - affine - softmax, with cs231n's signature.

    Parameters
    ----------
    input_dim : (C, H, W), default (3, 32, 32)
        H and W must be even (the pool halves them).
    num_filters : int, default 32
    filter_size : int, default 7
        Odd, so that the padding ``(filter_size - 1) // 2`` keeps H and W (stride 1).
    hidden_dim : int, default 100
    num_classes : int, default 10
    weight_scale : float, default 1e-3
    reg : float, default 0.0
        Strength of cs231n's ``0.5 * reg * sum(W**2)`` over W1, W2, W3.
    dtype : float32 or float64, default float32
    seed : int or None
        Seeds the initial weights (not part of cs231n's signature, where they are drawn from
        NumPy's global state).

    Parameters are ``W1`` (F, C, filter_size, filter_size), ``b1`` (F,), ``W2`` (F H W / 4,
    hidden_dim), ``b2``, ``W3`` (hidden_dim, num_classes), ``b3``.

    >>> net = ThreeLayerConvNet(input_dim=(1, 8, 8), num_filters=4, filter_size=3, hidden_dim=10,
    ...                         dtype=np.float64, seed=0)
    >>> {name: value.shape for name, value in net.params.items()}["W2"]
    (64, 10)
    >>> net.loss(np.zeros((2, 1, 8, 8))).shape
    (2, 10)
    """

    def __init__(
        self,
        input_dim=(3, 32, 32),
        num_filters=32,
        filter_size=7,
        hidden_dim=100,
        num_classes=10,
        weight_scale=1e-3,
        reg=0.0,
        dtype=np.float32,
        seed=None,
    ):
        if not isinstance(input_dim, tuple | list) or len(input_dim) != 3:
            raise TypeError(f"input_dim must be (C, H, W); got {input_dim!r:.60}")
        C, H, W = (as_count(v, f"input_dim[{i}]") for i, v in enumerate(input_dim))
        if H % 2 or W % 2:
            raise ValueError(f"input_dim must have even H and W for the 2x2 pool; got {(C, H, W)}")
        F = as_count(num_filters, "num_filters")
        size = as_count(filter_size, "filter_size")
        if size % 2 == 0:
            raise ValueError(f"filter_size must be odd, to keep H and W; got {size}")
        hidden = as_count(hidden_dim, "hidden_dim")
        self.num_classes = as_count(num_classes, "num_classes")
        scale = as_scalar(weight_scale, "weight_scale", positive=True)
        self.reg = as_scalar(reg, "reg", minimum=0.0)
        self.dtype = as_float_dtype(dtype)
        self.input_dim = (C, H, W)
        rng = np.random.default_rng(as_seed(seed))
        shapes = {
            "W1": (F, C, size, size),
            "b1": (F,),
            "W2": (F * (H // 2) * (W // 2), hidden),
            "b2": (hidden,),
            "W3": (hidden, self.num_classes),
            "b3": (self.num_classes,),
        }
        self.shapes = shapes
        self.params = {
            name: (
                scale * rng.standard_normal(shape) if name[0] == "W" else np.zeros(shape)
            ).astype(self.dtype)
            for name, shape in shapes.items()
        }
        self.conv_param = {"stride": 1, "pad": (size - 1) // 2}
        self.pool_param = {"pool_height": 2, "pool_width": 2, "stride": 2}
        self.layers = [
            stack.Layer("conv_backward_naive", ("W1", "b1"), self.conv_param),
            stack.Layer("relu_backward"),
            stack.Layer("max_pool_backward_naive", (), self.pool_param),
            stack.Layer("affine_backward", ("W2", "b2")),
            stack.Layer("relu_backward"),
            stack.Layer("affine_backward", ("W3", "b3")),
        ]

    def loss(self, X, y=None):
        """Scores (N, num_classes) for images ``X`` (N, C, H, W) when ``y`` is None; else
        ``(loss, grads)``, grads keyed like params."""
        dtype = params_dtype(self.params, self.dtype)
        check_params(self.params, self.shapes, dtype)
        X = as_batch(X, self.input_dim, dtype)
        if X.shape[1:] != self.input_dim:  # the right count in another layout is not images
            C, H, W = self.input_dim
            raise ValueError(
                f"X must hold images of shape (N, C, H, W) = (N, {C}, {H}, {W}); got {X.shape}"
            )
        if y is not None:
            y = as_labels(y, "y", X.shape[0], self.num_classes)
        return classify(self.layers, self.params, X, y, ("W1", "W2", "W3"), self.reg)


__all__ = ["ThreeLayerConvNet"]
