"""The estimator and what it is made of: solvers (`dual`, `squared_hinge`), `weights`,
`thresholds` and `calibration`. Never reads files."""

from classifier.model.estimator import LOSSES, SOLVERS, TagModel

__all__ = ["LOSSES", "SOLVERS", "TagModel"]
