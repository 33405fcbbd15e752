import numpy as np
import pytest

from classifier import DataError, TagModel
from classifier.model.checks import check_params


@pytest.mark.parametrize("params, field", [
    ({"language": "de"}, "language"), ({"loss": "hinge"}, "loss"), ({"solver": "fast"}, "solver"),
    ({"dual_max_samples": 0}, "dual_max_samples"), ({"cv_folds": 0}, "cv_folds"),
    ({"max_heldout": True}, "max_heldout"), ({"max_negatives": 0}, "max_negatives"),
    ({"max_negatives": 2.5}, "max_negatives"), ({"alpha": 0}, "alpha"), ({"threshold_rule": "top"}, "threshold_rule"),
    ({"min_tag_count": 0}, "min_tag_count"), ({"min_tags": -1}, "min_tags"), ({"min_share": 1.0}, "min_share"),
    ({"share_min_support": -1}, "share_min_support"), ({"title_weight": 0}, "title_weight"),
])
def test_a_value_out_of_range_is_refused_by_name(params, field):
    with pytest.raises(DataError, match=field):
        check_params(TagModel(**params))


def test_the_defaults_and_optional_settings_pass():
    check_params(TagModel())
    check_params(TagModel(cv_folds=None, max_negatives=None, max_heldout=np.int64(10), title_weight=np.int64(2)))
