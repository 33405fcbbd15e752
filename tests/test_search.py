import itertools
import json
from collections import Counter

import pytest
from typer.testing import CliRunner

from classifier import load_articles, tune
from classifier.cli import app
from classifier.errors import DataError
from classifier.model import features
from classifier.model.search import SPACE, search


@pytest.fixture(scope="module")
def mini(mini_path):
    corpus = load_articles(mini_path)
    return features.InMemory(corpus.texts, corpus.tags)


def test_a_coordinate_search_keeps_only_changes_that_raise_the_criterion(mini):
    result = search(mini, {"min_tag_count": 3}, max_trials=6)
    trials = result.trials
    assert len(trials) == 6 and trials[0].changes == {} and result.record["stopped"] == "trials"
    current, score = {}, trials[0].score
    for t in trials[1:]:
        moved = {k for k in set(t.changes) | set(current) if t.changes.get(k) != current.get(k)}
        assert len(moved) == 1, (t.changes, current)  # one setting away from the best so far
        if t.score > score:
            current, score = t.changes, t.score
    best = max(trials, key=lambda t: t.score)
    assert best.best and best.changes == current and sum(t.best for t in trials) == 1
    assert result.model.validation_["micro_f1"] + result.model.validation_["macro_f1"] == pytest.approx(best.score)
    record = result.record
    assert record["best_trial"] == best.number and record["articles"] == record["searched_on"] == 150
    assert set(record["chosen"]) == {name for name, _ in SPACE}
    assert record["criterion"].startswith("micro_f1 + macro_f1")


def test_the_ensemble_is_searched_only_where_the_final_fit_takes_the_dual_path(mini):
    dual = search(mini, {"min_tag_count": 3, "loss": "ridge"}, max_trials=3)
    assert [t.changes.get("loss") for t in dual.trials] == [None, "squared_hinge", "ensemble"]
    auto = search(mini, {"min_tag_count": 3}, max_trials=3)  # auto is the ensemble here: not tried twice
    assert auto.trials[0].changes == {} and [t.changes.get("loss") for t in auto.trials[1:]] == ["ridge",
                                                                                                  "squared_hinge"]
    primal = search(mini, {"min_tag_count": 3, "dual_max_samples": 100}, max_trials=4)
    assert primal.model.solver_ == "primal"
    assert all(t.changes.get("loss") != "ensemble" for t in primal.trials)
    assert [t.changes.get("loss") for t in primal.trials][:2] == [None, "ridge"]


def test_the_same_data_and_settings_give_the_same_search(mini):
    a = search(mini, {"min_tag_count": 3}, max_trials=4).record
    b = search(mini, {"min_tag_count": 3}, max_trials=4).record
    strip = [{k: v for k, v in t.items() if k != "seconds"} for t in a["trials"]]
    assert strip == [{k: v for k, v in t.items() if k != "seconds"} for t in b["trials"]]
    assert a["chosen"] == b["chosen"]


def test_the_budget_stops_before_a_candidate_that_would_not_fit(mini):
    ticks = itertools.count(0, 10)  # every reading of the clock is 10 s later
    result = search(mini, {"min_tag_count": 3}, budget_seconds=25, clock=lambda: next(ticks))
    assert result.record["stopped"] == "budget" and len(result.trials) == 1  # the start is always fitted
    assert result.trials[0].best


def test_a_metric_choice_changes_the_criterion(mini):
    result = search(mini, {"min_tag_count": 3}, max_trials=2, metric="macro")
    assert all(t.score == pytest.approx(t.macro_f1) for t in result.trials)
    with pytest.raises(DataError, match="metric must be one of"):
        search(mini, metric="f1")


def test_a_large_corpus_is_searched_on_a_sample_and_the_choice_fitted_on_all(mini):
    result = search(mini, {"min_tag_count": 3}, max_trials=2, max_articles=60)
    assert result.record["searched_on"] == 50 and result.record["articles"] == 150
    most_common = Counter(t for tags in mini.all_tags for t in set(tags)).most_common(1)[0][1]
    assert int(result.model.tag_support_.max()) == most_common  # fitted on all 150, not on the sample


def test_tune_saves_the_best_candidate_with_the_search_in_its_manifest(mini_path, tmp_path):
    result = tune(mini_path, out=tmp_path / "run", trials=3, min_tag_count=3)
    manifest = json.loads((tmp_path / "run" / "manifest.json").read_text())
    search_record = manifest["search"]
    assert len(search_record["trials"]) == 3 and search_record["budget_seconds"] == 600
    best = search_record["trials"][search_record["best_trial"] - 1]
    assert manifest["validation"]["micro_f1"] == pytest.approx(best["micro_f1"], abs=1e-4)
    for name, value in best["changes"].items():
        assert manifest["settings"][name] == value
    assert result.model.get_params()["min_tag_count"] == 3  # the starting settings not searched stay


def test_cli_tune_and_train_tune_print_the_table_and_json(mini_path, tmp_path):
    runner = CliRunner()
    done = runner.invoke(app, ["tune", str(mini_path), "--trials", "2", "--min-tag-count", "3", "--quiet",
                               "--out", str(tmp_path / "a")])
    assert done.exit_code == 0, done.output
    assert "Settings search: 2 trials" in done.output and "(the starting settings)" in done.output
    assert "<- best" in done.output and "stopped because --trials was reached" in done.output
    done = runner.invoke(app, ["train", str(mini_path), "--tune", "--trials", "2", "--min-tag-count", "3", "-q",
                               "--out", str(tmp_path / "b"), "--format", "json", "--metric", "micro"])
    assert done.exit_code == 0, done.output
    summary = json.loads(done.stdout)
    assert summary["search"]["metric"] == "micro" and len(summary["search"]["trials"]) == 2
    assert all(t["score"] == t["micro_f1"] for t in summary["search"]["trials"])
    plain = runner.invoke(app, ["train", str(mini_path), "--min-tag-count", "3", "-q", "--out", str(tmp_path / "c"),
                                "--format", "json"])
    assert "search" not in json.loads(plain.stdout)  # without --tune, no search
    bad = runner.invoke(app, ["tune", str(mini_path), "--metric", "f1"])
    assert bad.exit_code == 2 and "f1" in bad.output
