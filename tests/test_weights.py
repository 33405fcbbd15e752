import pickle

import numpy as np
import pytest

from classifier.model.weights import CompactWeights


def test_roundtrip_error_is_small_relative_to_each_tags_largest_weight():
    rng = np.random.default_rng(0)
    W = (rng.standard_normal((500, 7)) * rng.random(7) * 3).astype(np.float32)
    W[:, 3] = 0.0  # an all-zero tag
    cw = CompactWeights.from_dense(W)
    assert cw.codes.dtype == np.int8 and cw.codes.shape == W.shape
    assert cw.nbytes < W.nbytes / 3.9
    back = cw.dense()
    assert back.dtype == np.float32
    peak = np.abs(W).max(axis=0)
    # square-law steps: error <= half a step at the weight's own level, at most ~1/127 of the peak
    err = np.abs(back - W) / np.where(peak > 0, peak, 1)
    assert err.max() < 1.0 / 127
    assert np.all(back[:, 3] == 0)
    assert np.array_equal(np.sign(back[np.abs(W) > peak / 1000]), np.sign(W[np.abs(W) > peak / 1000]))
    # small weights keep much finer steps than linear 8-bit codes would give them
    small = np.abs(W) < peak / 100
    assert (np.abs(back - W)[small] / peak[np.nonzero(small)[1]]).max() < 0.5 / 127 / 4


def test_largest_weight_is_exact_and_rows_match_dense():
    W = np.array([[1.0, -2.0], [0.25, 0.5], [-0.01, 0.0]], dtype=np.float32)
    cw = CompactWeights.from_dense(W)
    dense = cw.dense()
    assert dense[0, 0] == pytest.approx(1.0) and dense[0, 1] == pytest.approx(-2.0)
    assert np.array_equal(cw.rows(np.array([2, 0])), dense[[2, 0]])


def test_large_matrix_is_decoded_in_blocks_identically():
    rng = np.random.default_rng(1)
    W = rng.standard_normal((9000, 3)).astype(np.float32)
    cw = CompactWeights.from_dense(W)
    assert np.array_equal(cw.dense(), cw.rows(np.arange(9000)))


def test_rejects_non_matrix():
    with pytest.raises(ValueError, match="2-D"):
        CompactWeights.from_dense(np.zeros(3))


def test_pruning_zeroes_only_weights_below_the_fraction_of_their_tags_largest():
    W = np.array([[1.0, -4.0], [0.009, 0.05], [-0.02, -0.039], [0.5, 0.0]], dtype=np.float32)
    pruned = CompactWeights.from_dense(W, prune=0.01)
    kept = CompactWeights.from_dense(W)
    small = np.abs(W) < 0.01 * np.abs(W).max(axis=0)  # tag 0: below 0.01; tag 1: below 0.04
    assert (pruned.codes[small] == 0).all()
    assert np.array_equal(pruned.codes[~small], kept.codes[~small]) and (kept.codes[small][:-1] != 0).all()


@pytest.mark.parametrize("shape", [(0, 3), (5, 0), (37, 11)])
def test_pickle_round_trip_keeps_every_code(shape):
    import pickle

    rng = np.random.default_rng(1)
    W = rng.normal(size=shape).astype(np.float32) ** 3  # heavy tails: many codes pruned to 0
    compact = CompactWeights.from_dense(W, prune=0.01)
    back = pickle.loads(pickle.dumps(compact))
    assert back.codes.shape == compact.codes.shape and back.codes.dtype == np.int8
    assert np.array_equal(back.codes, compact.codes) and np.array_equal(back.scale, compact.scale)


def test_rows_read_from_the_saved_streams_equal_the_decoded_rows():
    rng = np.random.default_rng(2)
    W = rng.normal(size=(300, 7)).astype(np.float32) ** 3
    compact = CompactWeights.from_dense(W, prune=0.05)
    loaded = pickle.loads(pickle.dumps(compact))
    index = np.array([0, 3, 4, 150, 299])
    from_streams = loaded.rows(index)  # before any full decode
    assert loaded._codes is None
    assert np.array_equal(from_streams, compact.rows(index))
    assert np.array_equal(loaded.rows(np.zeros(0, dtype=np.int64)), np.zeros((0, 7), dtype=np.float32))
    assert np.array_equal(loaded.dense(), compact.dense())
