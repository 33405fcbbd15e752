"""The estimator and what it is made of: solvers (`dual`, `squared_hinge`), `weights`,
`thresholds` and `calibration`. Never reads files."""

from classifier.model.checks import LOSSES, SOLVERS
from classifier.model.estimator import TagModel

__all__ = ["LOSSES", "SOLVERS", "TagModel"]
