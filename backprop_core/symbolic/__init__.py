"""SymPy derives every gradient of the seed's network again, and checks the numeric code with it.

index       the seed's eqs. (1)-(3) in index notation at symbolic sizes N, D, H, C: weight, bias,
            input of the affine map, the ReLU (matrix case) and the softmax cross-entropy
matrix      the affine gradients again, by matrix calculus (``tr(G^T (h W + 1 b^T))``)
concrete    full Jacobians at small concrete sizes, and the gradient of a whole tiny net's loss
relu_zero   the ReLU's slope at exactly 0 according to SymPy, the seed, PyTorch and a central
            difference
verify      ``verify_all()``: every derivation against the numeric code, one row per check

Each derivation is a :class:`Derivation`: named steps a notebook can show one by one, and an
``evaluate`` method that computes the result for NumPy arrays.
"""

from .concrete import (
    Concrete,
    affine_jacobians,
    relu_jacobian,
    softmax_identity_residual,
    softmax_jacobian,
    tiny_net_gradients,
)
from .derivation import Derivation, Step
from .index import (
    bias_gradient,
    input_gradient,
    relu_gradient,
    softmax_cross_entropy_gradient,
    weight_gradient,
)
from .matrix import affine_matrix_gradient
from .relu_zero import relu_at_zero
from .verify import verify_all

__all__ = [
    "Concrete",
    "Derivation",
    "Step",
    "affine_jacobians",
    "affine_matrix_gradient",
    "bias_gradient",
    "input_gradient",
    "relu_at_zero",
    "relu_gradient",
    "relu_jacobian",
    "softmax_cross_entropy_gradient",
    "softmax_identity_residual",
    "softmax_jacobian",
    "tiny_net_gradients",
    "verify_all",
    "weight_gradient",
]
