import numpy as np
import pytest
from scipy import sparse

from classifier.text.minhash import EMPTY, candidate_pairs, candidate_probability, column_ranks, signatures


def _rows(sets: list[list[int]], n_columns: int = 1000) -> sparse.csr_matrix:
    indptr = np.r_[0, np.cumsum([len(s) for s in sets])]
    indices = np.concatenate([np.sort(s) for s in sets]).astype(np.int32) if indptr[-1] else np.zeros(0, np.int32)
    return sparse.csr_matrix((np.ones(len(indices)), indices, indptr), shape=(len(sets), n_columns))


def test_signatures_are_seeded_and_equal_for_equal_sets():
    X = _rows([list(range(0, 50)), list(range(0, 50)), list(range(500, 560)), []])
    s = signatures(X, perms=32)
    assert s.shape == (4, 32) and s.dtype == np.uint32
    assert np.array_equal(s, signatures(X, perms=32))
    assert np.array_equal(s, signatures(X, perms=32, n_threads=2))
    assert (s[0] == s[1]).all() and (s[0] != s[2]).any()
    assert (s[3] == EMPTY).all()
    assert not np.array_equal(s, signatures(X, perms=32, seed=1))


def test_agreement_estimates_jaccard():
    # |A ∩ B| = 100, |A ∪ B| = 200: J = 0.5
    X = _rows([list(range(0, 150)), list(range(50, 200))])
    s = signatures(X, perms=512)
    assert abs((s[0] == s[1]).mean() - 0.5) < 0.08


def test_column_ranks_are_a_permutation():
    ranks = column_ranks(1000, np.uint64(12345), np.uint64(678))
    assert sorted(ranks.tolist()) == list(range(1000))


def test_candidates_are_the_similar_pairs_sorted_and_once():
    rng = np.random.default_rng(0)
    base = [rng.choice(5000, 80, replace=False) for _ in range(30)]
    sets = [b[rng.random(80) < 0.95] for b in base] + [b[rng.random(80) < 0.95] for b in base]
    X = _rows(sets, 5000)
    a, b = candidate_pairs(signatures(X, perms=128), bands=32)
    assert (a < b).all()
    keys = a * len(sets) + b
    assert (np.diff(keys) > 0).all()  # sorted, no repeats
    found = set(zip(a.tolist(), b.tolist()))
    assert {(k, k + 30) for k in range(30)} <= found  # each copy found
    assert len(found) == 30  # distinct stories are not
    a, b = candidate_pairs(signatures(X, perms=128), bands=32, members=np.arange(0, 60, 2))
    assert set(a.tolist()) | set(b.tolist()) <= set(range(0, 60, 2))


def test_candidate_probability_and_progress():
    assert candidate_probability(1.0, bands=32, rows=4) == pytest.approx(1.0)
    assert candidate_probability(0.7, bands=32, rows=4) > 0.999
    assert candidate_probability(0.05, bands=32, rows=4) < 0.001
    calls = []
    X = _rows([list(range(0, 50)), list(range(0, 50))])
    candidate_pairs(signatures(X, perms=8, progress=lambda *c: calls.append(c)), bands=2,
                    progress=lambda *c: calls.append(c))
    assert calls[0] == ("signatures", 0, 8) and ("signatures", 8, 8) in calls
    assert calls[-1] == ("candidates", 2, 2)
