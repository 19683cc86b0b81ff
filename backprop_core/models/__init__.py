"""Networks of any depth, built as lists of the registry's layers (cs231n's classifiers).

stack       ``Layer`` and the two loops, forward and backward, shared by every model
fc_net      ``FullyConnectedNet(hidden_dims, ...)``, with batch or layer norm and dropout
cnn         ``ThreeLayerConvNet(input_dim, ...)``: conv - relu - pool - affine - relu - affine
statistics  per-layer statistics of activations and gradients; He and Xavier scales
modes       forward mode (JVPs), reverse mode and central differences on a stack; the memory of
            its caches; gradient checkpointing
"""

from .cnn import ThreeLayerConvNet
from .fc_net import FullyConnectedNet
from .stack import Layer

__all__ = ["FullyConnectedNet", "Layer", "ThreeLayerConvNet"]
