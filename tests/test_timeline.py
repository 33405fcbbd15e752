import numpy as np
import pytest

from classifier.corpus.stats import monthly_counts
from classifier.dates import day_of
from classifier.errors import DataError
from classifier.evaluation.timeline import by_month, drift, parse_cutoff, split_by_date


def test_day_of_reads_iso_dates_and_times_in_their_own_zone():
    assert day_of("2020-05-12T23:30:00+02:00") == "2020-05-12"  # the day as written, not UTC's
    assert day_of("2020-05-12") == "2020-05-12" and day_of(" 2020-05-12T10:00:00Z ") == "2020-05-12"
    assert day_of("2020-05-12 10:00:00") == "2020-05-12"  # pandas' str(Timestamp)
    for bad in ("", "12/05/2020", "mai 2020", "2020-13-01"):
        assert day_of(bad) is None


def test_parse_cutoff_names_the_form():
    assert parse_cutoff("2020-06-01") == "2020-06-01"
    with pytest.raises(DataError, match=r"--cutoff '06/2020' is not a date; write it as YYYY-MM-DD"):
        parse_cutoff("06/2020")


def test_split_by_date_sides_and_undated():
    dates = ["2020-01-05", "", "2020-03-01T00:10:00+01:00", "2020-02-29", "nope", "2020-04-10"]
    s = split_by_date(dates, "2020-03-01")
    assert s.before.tolist() == [0, 3] and s.after.tolist() == [2, 5] and s.undated == [1, 4]
    assert s.summary() == {"cutoff": "2020-03-01", "before": 2, "after": 2, "undated": 2,
                           "first_date": "2020-01-05", "last_date": "2020-04-10"}


def test_a_cutoff_that_empties_a_side_says_both_counts_and_suggests_one():
    dates = [f"2020-{m:02d}-01" for m in range(1, 11)]
    with pytest.raises(DataError, match=r"f\.jsonl: the cutoff 2021-01-01 leaves 10 dated articles before it and 0 "
                                         r"on or after it \(dates run from 2020-01-01 to 2020-10-01\).*"
                                         r"try --cutoff 2020-09-01"):
        split_by_date(dates, "2021-01-01", where="f.jsonl")
    with pytest.raises(DataError, match=r"no article has a date in its 'published' field.*--date-col"):
        split_by_date(["", "x"], "2020-01-01", date_col="published")


def test_by_month_scores_each_month_and_counts_unknown_tags_as_misses():
    dates = ["2020-01-02", "2020-01-20", "2020-02-03", ""]
    gold = np.array([[1, 0], [0, 1], [1, 0], [1, 1]], dtype=bool)
    pred = np.array([[1, 0], [0, 0], [1, 0], [0, 0]], dtype=bool)
    missed = np.array([[0], [0], [1], [0]], dtype=bool)
    rows = by_month(dates, gold, pred, missed)
    assert [(r["month"], r["articles"]) for r in rows] == [("2020-01", 2), ("2020-02", 1)]
    assert rows[0]["micro_f1"] == pytest.approx(2 / 3, abs=1e-4)  # one hit, one miss
    assert rows[1]["micro_f1"] == 1.0 and rows[1]["all_gold_micro_f1"] == pytest.approx(2 / 3, abs=1e-4)
    assert rows[1]["unknown_tag_uses"] == 1


def test_drift_lists_new_tags_and_the_shares_that_moved():
    before = [["a"], ["a", "b"], ["a"], ["b"], ["a"], ["c"]]
    after = [["b"], ["b", "new"], ["b", "a"], ["new"]]
    classes = ["a", "b"]
    gold = np.array([[0, 1], [0, 1], [1, 1], [0, 0]], dtype=bool)
    pred = np.array([[0, 1], [0, 0], [1, 1], [0, 0]], dtype=bool)
    d = drift(before, after, classes, gold, pred, min_articles=2)
    assert d["new_tags"] == [{"tag": "new", "articles": 2, "seen_before": 0}]  # c is not in the later articles
    assert d["new_tag_uses"] == 2
    assert [r["tag"] for r in d["moved"]] == ["new", "a", "b"]  # by the size of the move (a, b tie); c under the bound
    b = next(r for r in d["moved"] if r["tag"] == "b")
    assert b["share_before"] == round(2 / 6, 4) and b["share_after"] == 0.75 and b["change"] == round(0.75 - 2 / 6, 4)
    assert b["f1_after"] == round(2 * 2 / (3 + 2), 4)  # 2 hits, 3 gold, 2 predicted
    assert d["moved"][0]["f1_after"] is None  # never learned

def test_monthly_counts():
    rows = monthly_counts(["2020-02-01", "2020-01-09", "", "2020-01-10"], [["x"], ["y", "x"], ["z"], ["x"]], top=1)
    assert rows == [{"month": "2020-01", "articles": 2, "tags": [("x", 2)]},
                    {"month": "2020-02", "articles": 1, "tags": [("x", 1)]}]
