"""The registry: every stage's record, the seed's network in its forward order, then the layers
that come after it (notebooks 11 to 13).

``verify_all``, ``diagnose``/``check``, the bug gallery and the parametrised tests all iterate over
:data:`STAGES`. Each record (a :class:`~backprop_core.stage.Stage`) is defined beside its stage's
numeric code and names the modules that hold the rest; adding a layer is registering its record in
:mod:`backprop_core.layers` (see CONTRIBUTING.md, "Adding a layer").

>>> [stage.name for stage in STAGES]  # doctest: +NORMALIZE_WHITESPACE
['softmax_cross_entropy', 'affine_backward', 'relu_backward', 'batchnorm_backward',
 'layernorm_backward', 'dropout_backward', 'svm_loss', 'sigmoid_cross_entropy',
 'conv_backward_naive', 'max_pool_backward_naive', 'two_layer_loss']
>>> get("relu_backward").signature
'fn(dout, cache) -> dx'
"""

from __future__ import annotations

from . import layers, net
from .stage import Stage

STAGES: tuple[Stage, ...] = (*layers.STAGES, net.STAGE)
NAMES = tuple(stage.name for stage in STAGES)


def get(name: str) -> Stage:
    """The registered stage called ``name``; a ``ValueError`` lists the names otherwise."""
    for stage in STAGES:
        if stage.name == name:
            return stage
    raise ValueError(f"stage must be one of {NAMES}; got {name!r}")
