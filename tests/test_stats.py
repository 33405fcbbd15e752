import pytest

from classifier.corpus.articles import load_articles
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


def test_corpus_stats(mini_path):
    s = corpus_stats(load_articles(mini_path, merge_variants=False))
    assert s["articles"] == 150 and s["articles_without_tags"] == 0
    assert s["most_frequent_tags"][0][1] >= s["most_frequent_tags"][-1][1]
    assert s["text_chars"]["min"] <= s["text_chars"]["median"] <= s["text_chars"]["max"]


def test_corpus_stats_reports_duplicates_and_progress(mini_path):
    corpus = load_articles(mini_path, merge_variants=False)
    corpus.ids += ["copy-a", "copy-b"]
    corpus.texts += [corpus.texts[3], corpus.texts[3].upper() + "  "]  # the same normalised text
    corpus.tags += [[], []]
    calls = []
    s = corpus_stats(corpus, progress=lambda *c: calls.append(c))
    assert [corpus.ids[3], "copy-a", "copy-b"] in s["exact_duplicate_groups"]
    assert [corpus.ids[3], "copy-a", "copy-b"] in s["near_duplicate_groups"]
    assert s["near_duplicate_pairs"] >= 3
    stages = {c[0] for c in calls}
    assert {"vectorising", "signatures", "candidates", "verifying"} <= stages
    assert ("candidates", 32, 32) in calls
