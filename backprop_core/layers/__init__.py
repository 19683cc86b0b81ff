"""The stages of the seed's network, one module per stage, with cs231n's names and signatures.

Conventions, stated once for the whole package:

- A batch holds one sample per row (the row-vector convention of the seed): ``x`` is (N, D) and
  an affine map is ``x @ W + b`` with ``W`` (D, M) and ``b`` (M,).
- ``<stage>_forward(x, ...) -> (out, cache)`` and ``<stage>_backward(dout, cache) -> grads``;
  a loss returns ``(loss, dscores)``. ``dname`` is dL/dname and has the shape of ``name``.
- Nothing modifies its arguments; float32 and float64 inputs keep their dtype.
- The public functions validate their arguments. Each module also has kernels under plain names
  (``affine.forward``, ``relu.backward``, ``softmax_loss.loss``) that trust theirs: a network calls
  them after checking a batch once.

affine    ``affine_forward``/``affine_backward``, ``affine_jacobian``
relu      ``relu_forward``/``relu_backward``, ``relu_jacobian``, ``ReLU`` (the activation object)
softmax_loss  ``softmax``, ``softmax_cross_entropy`` (the loss), ``softmax_jacobian``
"""

from . import affine, relu, softmax_loss
from .affine import AffineCache, affine_backward, affine_forward, affine_jacobian
from .relu import ReLU, ReluCache, relu_backward, relu_forward, relu_jacobian
from .softmax_loss import softmax, softmax_cross_entropy, softmax_jacobian

STAGES = (softmax_loss.STAGE, affine.STAGE, relu.STAGE)  # each stage's record, in registry order

__all__ = [
    "STAGES",
    "AffineCache",
    "ReLU",
    "ReluCache",
    "affine",
    "affine_backward",
    "affine_forward",
    "affine_jacobian",
    "relu",
    "relu_backward",
    "relu_forward",
    "relu_jacobian",
    "softmax",
    "softmax_cross_entropy",
    "softmax_jacobian",
    "softmax_loss",
]
