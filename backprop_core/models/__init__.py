"""Networks of any depth, built as lists of the registry's layers (cs231n's classifiers).

stack       ``Layer`` and the two loops, forward and backward, shared by every model
fc_net      ``FullyConnectedNet(hidden_dims, ...)``, with batch or layer norm and dropout
cnn         ``ThreeLayerConvNet(input_dim, ...)``: conv - relu - pool - affine - relu - affine
initialisation  He and Xavier scales per layer, and deep_net (a stack to study depth with)
statistics  per-layer statistics of activations and gradients
modes       forward mode, reverse mode and central differences on a stack: its Jacobian three ways
stack_checks    what a stack must be for modes (check_stack, TANGENT_KINDS)
tangents    forward mode: one layer's Jacobian-vector product, and the stack's
costs       the multiply-adds of a pass (Cost)
memory      the bytes a forward pass's caches store
checkpointing   gradient checkpointing: keep every k-th activation, recompute the rest
"""

from .cnn import ThreeLayerConvNet
from .fc_net import FullyConnectedNet
from .stack import Layer

__all__ = ["FullyConnectedNet", "Layer", "ThreeLayerConvNet"]
