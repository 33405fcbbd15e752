import random

import pytest

from classifier.corpus import duplicates
from classifier.corpus.articles import load_articles
from classifier.corpus.duplicates import all_pairs, find_duplicates, find_shared, groups, near_duplicates


@pytest.fixture(scope="module")
def articles(mini_path) -> list[str]:
    return load_articles(mini_path).texts


def _dropped(text: str, share: float, seed: int) -> str:
    rng = random.Random(seed)
    title, _, body = text.partition("\n")
    return title + "\n" + " ".join(w for w in body.split() if rng.random() >= share)


def test_duplicates():
    texts = ["le chat dort sur le canapé rouge", "le chat dort sur le canapé rouge !", "un autre sujet"]
    pairs = find_duplicates(texts)
    assert [(p.a, p.b) for p in pairs] == [(0, 1)] and pairs[0].similarity >= 0.99
    assert groups(3, pairs) == [[0, 1]]
    shared = find_shared(["un autre sujet", "rien"], texts)
    assert [(p.a, p.b) for p in shared] == [(0, 2)]


def test_near_duplicates_are_those_of_the_exact_all_pairs_method(articles):
    # 150 articles, then 60 copies with 2% to 30% of their words dropped: cosines to their originals
    # from about 0.8 to 1, on both sides of the threshold
    texts = articles + [_dropped(articles[k], 0.02 + 0.28 * k / 60, k) for k in range(60)]
    found = find_duplicates(texts)
    assert found == all_pairs(texts)
    assert len({p.b for p in found if p.b >= 150}) >= 30  # copies found
    assert all(p.similarity >= 0.9 for p in found)
    below = {(k, 150 + k) for k in range(60)} - {(p.a, p.b) for p in found}
    assert below  # the copies with most words dropped fall below 0.9 and are not reported
    assert found == find_duplicates(texts)  # deterministic
    assert [(p.a, p.b) for p in found] == sorted((p.a, p.b) for p in found)


def test_a_dissimilar_pair_is_not_reported(articles):
    assert find_duplicates([articles[0], articles[1]]) == []
    half = _dropped(articles[0], 0.5, 0)  # the same story, half its words gone: cosine below 0.9
    assert find_duplicates([articles[0], half]) == []
    assert [(p.a, p.b) for p in find_duplicates([articles[0], half], threshold=0.5)] == [(0, 1)]


def test_exact_copies_are_found_even_when_lsh_proposes_nothing(articles, monkeypatch):
    import numpy as np

    def nothing(*args, **kwargs):
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)

    texts = [articles[0], articles[1], " " + articles[0].upper() + "\n", articles[0], "!!!", "!!!"]
    monkeypatch.setattr(duplicates, "candidate_pairs", nothing)
    pairs = find_duplicates(texts)
    assert [(p.a, p.b, p.similarity) for p in pairs] == [(0, 2, 1.0), (0, 3, 1.0), (2, 3, 1.0), (4, 5, 1.0)]
    found = near_duplicates(texts)
    assert found.count() == 4 and found.groups() == [[0, 2, 3], [4, 5]] == found.exact_groups()


def test_copies_are_counted_and_grouped_without_listing_their_pairs(articles):
    texts = [articles[0]] * 300 + [_dropped(articles[0], 0.02, 1), articles[1]]
    found = near_duplicates(texts)
    assert len(found.a) == 1  # one near pair between the two distinct texts; the copies share it
    assert found.count() == 300 * 299 // 2 + 300
    assert found.groups() == [list(range(301))]
    assert len(found.pairs()) == found.count()
    assert groups(len(texts), found.pairs()) == found.groups()


def test_shared_pairs_cross_the_split_only(articles):
    # copies within train, or within test, are not leakage
    train = articles[:100] + [_dropped(articles[0], 0.03, 2), articles[1]]
    test = [articles[5], _dropped(articles[7], 0.03, 3), articles[120], articles[120]]
    shared = find_shared(train, test)
    assert [(p.a, p.b) for p in shared] == [(5, 0), (7, 1)]
    assert shared == all_pairs(train, test)


def test_progress_and_texts_without_words():
    calls = []
    assert find_duplicates(["!!!", "?"], progress=lambda *c: calls.append(c)) == []
    assert ("vectorising", 2, 2) in calls
    assert [(p.a, p.b) for p in find_duplicates(["...", "..."])] == [(0, 1)]  # the same text
