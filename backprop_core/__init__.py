"""Backpropagation through a two-layer network, with matrices instead of scalars.

``backprop_core`` is the library behind the Backprop Workbook. It computes the forward and backward
passes of the network of V. Busa's note "Backpropagation in Neural Network" (2017)::

    y1 = X W1 + b1,   h1 = max(0, y1),   y2 = h1 W2 + b2,   L = mean_i -log softmax(y2)_i[y_i]

and gives the means to check every gradient: full Jacobians, numerical gradients and a
per-parameter gradient check.

Modules
-------
registry    one record per stage; everything below that knows about stages iterates over it
layers      one module per stage: affine map, ReLU, softmax and its cross-entropy loss; batch and
            layer norm, dropout, convolution, max pooling, the SVM and binary losses
net         TwoLayerNet (the cs231n assignment's interface) and two_layer_loss(params, X, y, reg)
models      FullyConnectedNet and ThreeLayerConvNet as lists of layers; forward and reverse mode
optim       cs231n's update rules: sgd, sgd_momentum, rmsprop, adam
solver      cs231n's Solver, for any model with params and loss
training    the minibatch SGD loop of TwoLayerNet.train, for any loss function and its parameters
jacobians   the full Jacobian of each stage, and its contraction with an upstream gradient
layouts     a Jacobian moved between layouts: tensor, numerator, denominator, row- or column-major
gradcheck   central differences, relative error, a per-parameter gradient check of any model
datasets    the cs231n spiral, scikit-learn's 8x8 digits and their one-pixel moves
activations an activation typed as text, derived by SymPy and run by NumPy
symbolic    SymPy derives every gradient again; verify_all checks the numeric code with it
debugging   diagnose() and check() for a learner's backward pass, and a gallery of broken ones
widgets     the workbook's explorers (ipywidgets, loaded only when imported)
plots       Matplotlib figure builders shared by the notebooks and the explorers
"""

from .datasets import digits, shifted_copies, spiral
from .gradcheck import gradcheck, numerical_gradient, numerical_gradient_array, rel_error, verdict
from .jacobians import affine_jacobian, flatten_jacobian, relu_jacobian, softmax_jacobian, vjp
from .layers import (
    affine_backward,
    affine_forward,
    relu_backward,
    relu_forward,
    softmax,
    softmax_cross_entropy,
)
from .layouts import convert_layout, transpose_arrays
from .net import Gradients, Trace, TwoLayerNet, two_layer_loss

__all__ = [
    "Gradients",
    "Trace",
    "TwoLayerNet",
    "affine_backward",
    "affine_forward",
    "affine_jacobian",
    "convert_layout",
    "digits",
    "flatten_jacobian",
    "gradcheck",
    "numerical_gradient",
    "numerical_gradient_array",
    "rel_error",
    "relu_backward",
    "relu_forward",
    "relu_jacobian",
    "shifted_copies",
    "softmax",
    "softmax_cross_entropy",
    "softmax_jacobian",
    "spiral",
    "transpose_arrays",
    "two_layer_loss",
    "verdict",
    "vjp",
]
