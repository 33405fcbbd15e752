import numpy as np
import pytest
from scipy import sparse

from classifier import DataError
from classifier.model import tags


def test_indicator_learns_the_tags_seen_often_enough():
    classes, dropped, Y = tags.indicator([["a", "b"], ["a"], ["a", "c", "a"]], min_tag_count=2)
    assert classes.tolist() == ["a"] and dropped == ["b", "c"]
    assert Y.toarray().tolist() == [[1], [1], [1]]
    with pytest.raises(DataError, match="min_tag_count=5"):
        tags.indicator([["a"]], min_tag_count=5)


def test_stories_count_each_near_duplicate_group_once():
    Y = sparse.csr_matrix(np.array([[1, 0, 1], [1, 0, 0], [1, 1, 0], [0, 1, 0], [1, 0, 1]], dtype=np.float32))
    groups = np.array([0, 0, 1, 2, 0])  # articles 0, 1 and 4 are one story
    assert tags.stories(Y, groups).tolist() == [2, 2, 1]
    assert tags.stories(Y, np.arange(5)).tolist() == np.asarray(Y.sum(axis=0)).ravel().tolist()
    # thirty copies of each article, grouped: the support of the articles alone
    many = sparse.vstack([Y] * 30, format="csr")
    assert tags.stories(many, np.tile(np.arange(5), 30)).tolist() == np.asarray(Y.sum(axis=0)).ravel().tolist()
