"""Checks of `TagModel`'s parameters, run when it fits: a wrong value is a DataError naming it."""

from __future__ import annotations

from numbers import Integral
from typing import TYPE_CHECKING

from classifier.errors import DataError
from classifier.model.thresholds import RULES
from classifier.text.normalize import LANGUAGES

if TYPE_CHECKING:
    from classifier.model.estimator import TagModel

LOSSES = ("auto", "squared_hinge", "ridge", "ensemble")
SOLVERS = ("auto", "dual", "primal")


def check_params(model: TagModel) -> None:
    """Raise a DataError for the first parameter of `model` outside its range."""
    if model.language not in LANGUAGES:
        raise DataError(f"language must be one of {', '.join(LANGUAGES)}; got {model.language!r}")
    if model.loss not in LOSSES:
        raise DataError(f"loss must be one of {', '.join(LOSSES)}; got {model.loss!r}")
    if model.solver not in SOLVERS:
        raise DataError(f"solver must be one of {', '.join(SOLVERS)}; got {model.solver!r}")
    for name, least in (("dual_max_samples", 1), ("cv_folds", 1), ("max_heldout", 1), ("max_negatives", 1)):
        value = getattr(model, name)
        if value is None and name in ("cv_folds", "max_negatives"):
            continue
        if isinstance(value, bool) or not isinstance(value, Integral) or value < least:
            raise DataError(f"{name} must be a whole number >= {least}; got {value!r}")
    if not model.alpha > 0:
        raise DataError(f"alpha must be > 0; got {model.alpha!r}")
    if model.threshold_rule not in RULES:
        raise DataError(f"threshold_rule must be one of {', '.join(RULES)}; got {model.threshold_rule!r}")
    if model.min_tag_count < 1:
        raise DataError(f"min_tag_count must be >= 1; got {model.min_tag_count!r}")
    if model.min_tags < 0:
        raise DataError(f"min_tags must be >= 0; got {model.min_tags!r}")
    if not 0 <= model.min_share < 1:
        raise DataError(f"min_share must be in [0, 1); got {model.min_share!r}")
    if isinstance(model.share_min_support, bool) or not (isinstance(model.share_min_support, Integral)
                                                         and model.share_min_support >= 0):
        raise DataError(f"share_min_support must be a whole number >= 0; got {model.share_min_support!r}")
    if isinstance(model.title_weight, bool) or not (isinstance(model.title_weight, Integral)
                                                    and model.title_weight >= 1):
        raise DataError(f"title_weight must be a whole number >= 1; got {model.title_weight!r}")

