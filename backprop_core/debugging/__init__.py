"""The workbook's teaching tools for debugging a backward pass.

diagnose    ``diagnose(fn, stage)``: a learner's function against the engine, with the cause
exercises   ``check(fn, stage)``: the feedback behind every notebook's exercises
gallery     ``BUGS``: realistic broken versions of every stage, each with the cause to find
spec        the records: a stage's ``Spec``, a ``Bug``, a ``Finding``, a ``Pattern``
patterns    reading a difference: transpose, wrong axis, factor, kink, a stage's typical mistakes

One module per stage (``softmax``, ``affine``, ``relu``, ``net``, ``batchnorm``, ``layernorm``,
``dropout``, ``svm``, ``sigmoid``, ``conv``, ``pool``) holds that stage's cases, typical mistakes
and broken versions; :data:`backprop_core.registry.STAGES` names them.
"""

from .diagnose import Diagnosis, diagnose
from .exercises import Result, check
from .gallery import BUGS
from .spec import Bug

__all__ = ["BUGS", "Bug", "Diagnosis", "Result", "check", "diagnose"]
