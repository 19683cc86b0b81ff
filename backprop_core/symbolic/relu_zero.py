"""What the derivative of max(0, x) is at exactly x = 0, according to four sources."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import sympy as sp

from ..gradcheck import numerical_gradient
from ..layers import relu_backward, relu_forward


class Convention(NamedTuple):
    """One answer to "what is d max(0, x)/dx at x = 0?"."""

    source: str
    rule: str
    value: float


def relu_at_zero() -> list[Convention]:
    """The ReLU's slope at an input exactly 0, computed four ways (plus this package's default).

    Each value is computed here, not quoted: SymPy differentiates ``Max(0, x)`` and evaluates the
    resulting ``Heaviside`` at 0; the seed's and PyTorch's rules are run on a NumPy 0; the
    central difference is taken with :func:`~backprop_core.gradcheck.numerical_gradient`.

    >>> for row in relu_at_zero():
    ...     print(f"{row.source:<24} {row.value}")
    SymPy                    0.5
    seed (y1 >= 0)           1.0
    PyTorch (x > 0)          0.0
    central difference       0.5
    backprop_core default    0.0
    """
    x = sp.Symbol("x", real=True)
    derivative = sp.diff(sp.Max(0, x), x)
    zero = np.zeros(1)
    upstream = np.ones(1)
    central = numerical_gradient(lambda v: float(relu_forward(v)[0][0]), zero)
    default = relu_backward(upstream, relu_forward(zero)[1])
    return [
        Convention("SymPy", f"d/dx Max(0, x) = {derivative}", float(derivative.subs(x, 0))),
        Convention("seed (y1 >= 0)", "dh1 * (y1 >= 0)", float((upstream * (zero >= 0))[0])),
        Convention("PyTorch (x > 0)", "dout * (x > 0)", float((upstream * (zero > 0))[0])),
        Convention("central difference", "(relu(h) - relu(-h)) / 2h", float(central[0])),
        Convention("backprop_core default", "relu_backward(at_zero=0.0)", float(default[0])),
    ]
