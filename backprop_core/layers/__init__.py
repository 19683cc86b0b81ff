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
batchnorm ``batchnorm_forward``/``batchnorm_backward`` (staged graph), ``batchnorm_backward_alt``
          (closed form), ``batchnorm_jacobian``, ``spatial_batchnorm_forward``/``_backward``
layernorm ``layernorm_forward``/``layernorm_backward``, ``layernorm_jacobian``
softmax_loss  ``softmax``, ``softmax_cross_entropy`` (the loss), ``softmax_jacobian``;
          ``softmax_loss.softmax_loss`` (the same loss under cs231n's name)
dropout   ``dropout_forward``/``dropout_backward`` (inverted, p = keep), ``dropout_jacobian``
svm       ``svm_loss`` (multiclass hinge, margin 1), ``svm_jacobian``
sigmoid_loss  ``sigmoid``, ``sigmoid_cross_entropy`` (binary, 0/1 labels), ``sigmoid_jacobian``
conv      ``conv_forward_naive``/``conv_backward_naive``, ``conv_forward_fast``/``_backward_fast``
          (im2col), ``conv_jacobian``
pool      ``max_pool_forward_naive``/``max_pool_backward_naive``, ``max_pool_forward_fast``/
          ``max_pool_backward_fast``, ``max_pool_jacobian`` (ties: the first maximum)
"""

from . import (
    affine,
    batchnorm,
    conv,
    dropout,
    layernorm,
    pool,
    relu,
    sigmoid_loss,
    softmax_loss,
    svm,
)
from .affine import AffineCache, affine_backward, affine_forward, affine_jacobian
from .batchnorm import (
    BatchnormCache,
    batchnorm_backward,
    batchnorm_backward_alt,
    batchnorm_forward,
    batchnorm_jacobian,
    spatial_batchnorm_backward,
    spatial_batchnorm_forward,
)
from .conv import (
    ConvCache,
    ConvFastCache,
    conv_backward_fast,
    conv_backward_naive,
    conv_forward_fast,
    conv_forward_naive,
    conv_jacobian,
)
from .dropout import DropoutCache, dropout_backward, dropout_forward, dropout_jacobian
from .layernorm import LayernormCache, layernorm_backward, layernorm_forward, layernorm_jacobian
from .pool import (
    MaxPoolCache,
    max_pool_backward_fast,
    max_pool_backward_naive,
    max_pool_forward_fast,
    max_pool_forward_naive,
    max_pool_jacobian,
)
from .relu import ReLU, ReluCache, relu_backward, relu_forward, relu_jacobian
from .sigmoid_loss import sigmoid, sigmoid_cross_entropy, sigmoid_jacobian
from .softmax_loss import softmax, softmax_cross_entropy, softmax_jacobian
from .svm import svm_jacobian, svm_loss

STAGES = (  # each stage's record, in registry order: the seed's network, then the layers after it
    softmax_loss.STAGE,
    affine.STAGE,
    relu.STAGE,
    batchnorm.STAGE,
    layernorm.STAGE,
    dropout.STAGE,
    svm.STAGE,
    sigmoid_loss.STAGE,
    conv.STAGE,
    pool.STAGE,
)

__all__ = [
    "STAGES",
    "AffineCache",
    "BatchnormCache",
    "ConvCache",
    "ConvFastCache",
    "DropoutCache",
    "LayernormCache",
    "MaxPoolCache",
    "ReLU",
    "ReluCache",
    "affine",
    "affine_backward",
    "affine_forward",
    "affine_jacobian",
    "batchnorm",
    "batchnorm_backward",
    "batchnorm_backward_alt",
    "batchnorm_forward",
    "batchnorm_jacobian",
    "conv",
    "conv_backward_fast",
    "conv_backward_naive",
    "conv_forward_fast",
    "conv_forward_naive",
    "conv_jacobian",
    "dropout",
    "dropout_backward",
    "dropout_forward",
    "dropout_jacobian",
    "layernorm",
    "layernorm_backward",
    "layernorm_forward",
    "layernorm_jacobian",
    "max_pool_backward_fast",
    "max_pool_backward_naive",
    "max_pool_forward_fast",
    "max_pool_forward_naive",
    "max_pool_jacobian",
    "pool",
    "relu",
    "relu_backward",
    "relu_forward",
    "relu_jacobian",
    "sigmoid",
    "sigmoid_cross_entropy",
    "sigmoid_jacobian",
    "sigmoid_loss",
    "softmax",
    "softmax_cross_entropy",
    "softmax_jacobian",
    "softmax_loss",
    "spatial_batchnorm_backward",
    "spatial_batchnorm_forward",
    "svm",
    "svm_jacobian",
    "svm_loss",
]
