"""The workbook's explorers: ipywidgets controls around a figure, one builder per notebook.

Each builder ``<name>_explorer(...)`` returns an :class:`~backprop_core.widgets.base.Explorer`;
the notebook displays it. Drive one from code with ``ex.set(name=value)`` and read
``ex.summary()``; ``ex.snapshot()`` is its current image as an ordinary output. Importing this
package changes no global setting.

forward_explorer           01  an input point and the weight scale through every stage
softmax_explorer           02  logits and a label: probabilities, gradient, Jacobian
weight_gradient_explorer   03  an entry (i, j) of W: which entries of h and dL/dy make it
bias_explorer              04  batch size: the bias gradient as a sum over samples
relu_explorer              05  bias and inputs: ReLU mask, Jacobian diagonal, dead units
backward_explorer          06  a parameter entry: backprop, central differences and SymPy
training_explorer          07  hidden size, step size, reg and a Train button on the spiral
activation_explorer        10  type an activation: f, f', its gradient check, and training
norm_explorer              11  one entry of a batch: every sample's dx, the Jacobian's blocks
conv_explorer              12  a conv output pixel and a weight; max-pool routing with ties
dropout_hinge_explorer     13  dropout's mask at train and test time; hinge margins and gradient
depth_explorer             14  depth, weight scale, activation, norm: per-layer std forward and back

Every explorer class states, as class attributes, what tools and tests read without building it:

``notebook``
    The file name of the notebook that displays it (``"02-Softmax-Gradient.ipynb"``); required.
``redraws_on_move``
    False when moving a control changes the summary only, the figure waiting for the Train
    button (the training explorer); True by default.
``view_controls``
    Names of controls that change only the figure, not the summary (the activation explorer's
    plot range); empty by default.

:func:`explorer_classes` maps each builder's name to the class it returns, so a notebook-to-
explorer table is ``{cls.notebook: name for name, cls in explorer_classes().items()}``. The
activation and training explorers share :class:`~backprop_core.widgets.spiral.SpiralExplorer`:
a net trained on the spiral, its decision regions and a Train button.
"""

import typing

from .activation import activation_explorer
from .affine import bias_explorer, weight_gradient_explorer
from .backward import backward_explorer
from .base import Explorer
from .batchnorm import norm_explorer
from .conv import conv_explorer
from .depth import depth_explorer
from .dropout import dropout_hinge_explorer
from .forward import forward_explorer
from .relu import relu_explorer
from .softmax import softmax_explorer
from .training import training_explorer

__all__ = [
    "Explorer",
    "activation_explorer",
    "backward_explorer",
    "bias_explorer",
    "conv_explorer",
    "depth_explorer",
    "dropout_hinge_explorer",
    "explorer_classes",
    "forward_explorer",
    "norm_explorer",
    "relu_explorer",
    "softmax_explorer",
    "training_explorer",
    "weight_gradient_explorer",
]


def explorer_classes() -> dict[str, type[Explorer]]:
    """Each builder's name in ``__all__`` and the Explorer class it returns (its annotation).

    >>> explorer_classes()["softmax_explorer"].notebook
    '02-Softmax-Gradient.ipynb'
    """
    return {
        name: typing.get_type_hints(globals()[name])["return"]
        for name in __all__
        if name.endswith("_explorer")
    }
