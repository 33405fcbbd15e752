import pytest

from classifier.corpus.articles import load_articles
from classifier.corpus.duplicates import find_duplicates, find_shared, groups
from classifier.corpus.stats import corpus_stats, tag_variants, variant_key
from classifier.corpus.tagmap import apply_tag_map, load_tag_map
from classifier.errors import DataError


def test_variant_key_and_groups():
    assert variant_key("Israël") == variant_key("israel")
    assert variant_key("Élections") == variant_key("élection")
    assert variant_key("France 2020") == variant_key("France2020")
    found = tag_variants([["Israël"], ["Israël", "élections"], ["Israel"], ["élection"], ["bus"]])
    assert [t for t, _ in found[0]] == ["Israël", "Israel"]
    assert ["bus"] not in [[t for t, _ in g] for g in found]


def test_tag_map_file(tmp_path):
    p = tmp_path / "map.csv"
    p.write_text("from,to\nIsrael,Israël\nbruit,\n", encoding="utf-8")
    mapping = load_tag_map(p)
    assert apply_tag_map([["Israel", "bruit", "Israël"]], mapping) == [["Israël"]]
    bad = tmp_path / "bad.csv"
    bad.write_text("seul\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"bad\.csv:1"):
        load_tag_map(bad)


def test_duplicates():
    texts = ["le chat dort sur le canapé rouge", "le chat dort sur le canapé rouge !", "un autre sujet"]
    pairs = find_duplicates(texts)
    assert [(p.a, p.b) for p in pairs] == [(0, 1)] and pairs[0].similarity >= 0.99
    assert groups(3, pairs) == [[0, 1]]
    shared = find_shared(["un autre sujet", "rien"], texts)
    assert [(p.a, p.b) for p in shared] == [(0, 2)]


def test_corpus_stats(mini_path):
    s = corpus_stats(load_articles(mini_path, merge_variants=False))
    assert s["articles"] == 150 and s["articles_without_tags"] == 0
    assert s["most_frequent_tags"][0][1] >= s["most_frequent_tags"][-1][1]
    assert s["text_chars"]["min"] <= s["text_chars"]["median"] <= s["text_chars"]["max"]
