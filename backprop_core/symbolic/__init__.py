"""SymPy derives every gradient of the seed's network again, and checks the numeric code with it.

One module per stage of :data:`backprop_core.registry.STAGES`, each holding that stage's
derivations (index notation at symbolic sizes N, D, H, C; matrix calculus where there is one;
full Jacobians at small concrete sizes) and ``verify_rows(rng)``, its rows of :func:`verify_all`:

softmax     the softmax cross-entropy gradient, the softmax Jacobian ``diag(p) - p p^T``
affine      weight, bias and input gradients of ``out = h W + b``, by index notation and by
            matrix calculus, and the full Jacobians
relu        the ReLU gradient (matrix case), its Jacobian, its slope at exactly 0 by four sources
net         the gradient of a whole tiny network's loss, ReLU or a typed activation
batchnorm   batch norm's gradient at symbolic N down to the closed form, its Jacobian
layernorm   the same along a row, at symbolic D
dropout     the mask's diagonal Jacobian, train and test mode
svm         the multiclass hinge loss's gradient and its kink at a margin of exactly 0
sigmoid     the binary cross-entropy's gradient ``(s - y) / N``
conv        dw as a cross-correlation, dx as a full convolution with the flipped kernel
pool        max pooling's routing, ties included

and the machinery they share:

notation    the symbols of index notation, and the seed's eq. (1) (:func:`~.notation.chain`)
derivation  :class:`Derivation`, named steps a notebook can show one by one, and ``evaluate``
concrete    :class:`Concrete`, an array of expressions in named symbols, and ``evaluate``
exact       the one evaluation path of both: ``Heaviside(0)``, mpmath, enough digits
verify      ``verify_all()``: every stage's rows, one :class:`Check` per comparison

Derivations with the same arguments are the same, so they are memoised (``@sympy.cacheit``), as
are their compiled forms: ``sympy.core.cache.clear_cache()`` forgets them all.

>>> verify_all(seed=0).ok
True
"""

from .affine import (
    affine_jacobian_symbols,
    affine_matrix_gradient,
    bias_gradient,
    input_gradient,
    weight_gradient,
)
from .concrete import Concrete
from .derivation import Derivation, Step
from .net import tiny_net_gradients
from .relu import relu_at_zero, relu_gradient, relu_jacobian_symbols
from .softmax import (
    softmax_cross_entropy_gradient,
    softmax_identity_residual,
    softmax_jacobian_symbols,
)
from .verify import Check, Report, verify_all

__all__ = [
    "Check",
    "Concrete",
    "Derivation",
    "Report",
    "Step",
    "affine_jacobian_symbols",
    "affine_matrix_gradient",
    "bias_gradient",
    "input_gradient",
    "relu_at_zero",
    "relu_gradient",
    "relu_jacobian_symbols",
    "softmax_cross_entropy_gradient",
    "softmax_identity_residual",
    "softmax_jacobian_symbols",
    "tiny_net_gradients",
    "verify_all",
    "weight_gradient",
]
