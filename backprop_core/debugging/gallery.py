"""A gallery of realistic broken backward passes, each a drop-in replacement for an engine function.

Every :class:`~backprop_core.debugging.spec.Bug` has the signature of the stage it breaks (see
:data:`backprop_core.registry.STAGES`), a one-line description of the mistake, and the cause
:func:`~backprop_core.debugging.diagnose` should name. They are the mistakes learners make, and
the ones the seed note invites; each stage's debugging module defines its own.

>>> [bug.name for bug in BUGS if bug.stage == "relu_backward"]
['relu_mutates_dout', 'relu_mask_from_dout', 'relu_seed_convention']
"""

from __future__ import annotations

from .. import registry

BUGS = tuple(bug for stage in registry.STAGES for bug in stage.load("debugging").BUGS)
