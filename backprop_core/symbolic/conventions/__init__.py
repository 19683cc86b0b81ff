"""Conventions checked by SymPy: vec and Kronecker identities, the trace method step by step, and
cs231n's gate patterns against the full Jacobian.

Every result is an :class:`Equality`: a statement shown in matrix notation at symbolic sizes
(``lhs = rhs``) and ``holds``, whether SymPy finds it true with every matrix replaced by a matrix
of symbols at a small concrete size. Nothing is asserted in prose: a notebook prints ``holds``.

The trace method reads a gradient off a differential. Near a point the loss changes with ``Y``
(N, C) by ``dl = sum_pq G_pq dY_pq = tr(G^T dY)``, ``G = dl/dY``; when a chain of equalities brings
``dl`` to the form ``tr(M^T dX)``, the gradient in the workbook's layout (the shape of X) is M.

One module per topic, every public name re-exported here
(``from backprop_core.symbolic import conventions as conv; conv.vec_identities()``):

equality    :class:`Equality`, :class:`Tex` and the helpers that decide and print a statement
kronecker   vec and vec_r, and the Jacobians of the affine layer and the ReLU as Kronecker
            products and a diagonal mask
trace       the trace method, by hand, for the affine layer and the softmax cross-entropy
gates       cs231n's gate patterns and dimension analysis, against the full Jacobian
"""

from ..concrete import jacobian, symbol_array
from ..notation import C, H, N
from .equality import (
    Equality,
    Tex,
    as_latex,
    chain_of_steps,
    eps_,
    explicit,
    first_order,
    is_zero,
    matrix_of_symbols,
)
from .gates import agree, contract, dimension_analysis, gate_patterns
from .kronecker import (
    AFFINE_KRONECKER,
    affine_kronecker,
    flatten,
    relu_diag_mask,
    vec,
    vec_identities,
)
from .trace import AFFINE, ONES, affine_trace_method, affine_values, d_ell, softmax_trace_method

__all__ = [
    "AFFINE",
    "ONES",
    "Equality",
    "Tex",
    "affine_kronecker",
    "affine_trace_method",
    "affine_values",
    "agree",
    "as_latex",
    "chain_of_steps",
    "contract",
    "dimension_analysis",
    "explicit",
    "first_order",
    "flatten",
    "gate_patterns",
    "is_zero",
    "matrix_of_symbols",
    "relu_diag_mask",
    "softmax_trace_method",
    "vec",
    "vec_identities",
]

# the other names the single module conventions.py held, still reachable as conv.<name>
__all__ += ["AFFINE_KRONECKER", "C", "H", "N", "d_ell", "eps_", "jacobian", "symbol_array"]
