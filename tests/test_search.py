import itertools
import json
from collections import Counter

import pytest
from typer.testing import CliRunner

from classifier import load_articles, tune
from classifier.cli import app
from classifier.errors import DataError
from classifier.model import features
from classifier.model.estimator import TagModel
from classifier.model.search import SPACE, search


@pytest.fixture(scope="module")
def mini(mini_path):
    corpus = load_articles(mini_path)
    return features.InMemory(corpus.texts, corpus.tags)


def test_a_coordinate_search_keeps_only_changes_that_raise_the_criterion(mini):
    result = search(mini, {"min_tag_count": 3}, confirm_folds=0, max_trials=6)
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
    # Trials 1-3: the start, then the title weights 1 and 5 (the first setting searched); then the losses.
    assert SPACE[0] == ("title_weight", (1, 3, 5)) and SPACE[1][0] == "loss"
    dual = search(mini, {"min_tag_count": 3, "loss": "ridge"}, confirm_folds=0, max_trials=5)
    assert [t.changes.get("title_weight") for t in dual.trials[1:3]] == [1, 5]
    assert [t.changes.get("loss") for t in dual.trials[3:]] == ["squared_hinge", "ensemble"]
    auto = search(mini, {"min_tag_count": 3}, confirm_folds=0, max_trials=5)  # auto is the ensemble: not tried twice
    assert auto.trials[0].changes == {} and [t.changes.get("loss") for t in auto.trials[3:]] == ["ridge",
                                                                                                  "squared_hinge"]
    primal = search(mini, {"min_tag_count": 3, "dual_max_samples": 100}, confirm_folds=0, max_trials=6)
    assert primal.model.solver_ == "primal"
    assert all(t.changes.get("loss") != "ensemble" for t in primal.trials)
    assert [t.changes.get("loss") for t in primal.trials][:4] == [None, None, None, "ridge"]  # auto: squared hinge


def test_the_same_data_and_settings_give_the_same_search(mini):
    a = search(mini, {"min_tag_count": 3}, max_trials=3).record  # with the k-fold check
    b = search(mini, {"min_tag_count": 3}, max_trials=3).record
    strip = [{k: v for k, v in t.items() if k != "seconds"} for t in a["trials"]]
    assert strip == [{k: v for k, v in t.items() if k != "seconds"} for t in b["trials"]]
    assert a["chosen"] == b["chosen"] and a["check"] is not None
    assert {k: v for k, v in a["check"]["candidate"].items() if k != "seconds"} == {
        k: v for k, v in b["check"]["candidate"].items() if k != "seconds"}


def test_the_budget_stops_before_a_candidate_that_would_not_fit(mini):
    ticks = itertools.count(0, 10)  # every reading of the clock is 10 s later
    result = search(mini, {"min_tag_count": 3}, confirm_folds=0, budget_seconds=25, clock=lambda: next(ticks))
    assert result.record["stopped"] == "budget" and len(result.trials) == 1  # the start is always fitted
    assert result.trials[0].best


def test_a_metric_choice_changes_the_criterion(mini):
    result = search(mini, {"min_tag_count": 3}, confirm_folds=0, max_trials=2, metric="macro")
    assert all(t.score == pytest.approx(t.macro_f1) for t in result.trials)
    with pytest.raises(DataError, match="metric must be one of"):
        search(mini, metric="f1")


def test_a_large_corpus_is_searched_on_a_sample_and_the_choice_fitted_on_all(mini):
    result = search(mini, {"min_tag_count": 3}, confirm_folds=0, max_trials=2, max_articles=60)
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


def test_the_best_candidate_is_kept_only_if_k_fold_cross_validation_gains_more_than_one_standard_error(
        mini, monkeypatch):
    result = search(mini, {"min_tag_count": 3}, max_trials=3)
    check, trials = result.record["check"], result.trials
    assert check["folds"] == 3 and check["candidate_trial"] == max(trials, key=lambda t: t.score).number > 1
    assert check["gain"] == pytest.approx(check["candidate"]["score"] - check["start"]["score"], abs=2e-4)
    assert check["standard_error"] > 0 and check["kept"] == ("candidate" if check["gain"] > check["standard_error"]
                                                             else "start")
    kept = trials[0] if check["kept"] == "start" else trials[check["candidate_trial"] - 1]
    assert kept.best and sum(t.best for t in trials) == 1 and result.record["best_trial"] == kept.number
    # each way round: a check that finds a gain keeps the candidate's model, one that does not the start's
    from classifier.model import crossval

    defaults = TagModel().get_params()
    for gain, kept_trial in ((1.0, check["candidate_trial"]), (0.0, 1)):
        monkeypatch.setattr(crossval, "paired_gain", lambda *a, g=gain, **kw: (g, 0.5))
        forced = search(mini, {"min_tag_count": 3}, max_trials=3)
        assert forced.record["best_trial"] == kept_trial and forced.trials[kept_trial - 1].best
        changes = forced.trials[kept_trial - 1].changes
        assert bool(changes) == (kept_trial > 1)
        params = forced.model.get_params()
        assert all(params[name] == changes.get(name, defaults[name]) for name, _ in SPACE)
        assert forced.model.validation_["micro_f1"] == pytest.approx(forced.trials[kept_trial - 1].micro_f1)


def test_no_check_when_the_start_is_best_or_when_turned_off(mini):
    assert search(mini, {"min_tag_count": 3}, max_trials=1).record["check"] is None
    assert search(mini, {"min_tag_count": 3}, max_trials=3, confirm_folds=0).record["check"] is None
    with pytest.raises(DataError, match="confirm_folds"):
        search(mini, confirm_folds=1)


def test_the_budget_keeps_room_for_the_check(mini):
    # each reading of the clock is 10 s later: the start takes 10 s, the next candidate is estimated at 10 s
    # and would start at 30 s; the check would need 2 x (10 + 10) s more, which a 60 s budget lacks
    ticks = itertools.count(0, 10)
    unchecked = search(mini, {"min_tag_count": 3}, budget_seconds=60, confirm_folds=0, clock=lambda: next(ticks))
    assert len(unchecked.trials) > 1
    ticks = itertools.count(0, 10)
    result = search(mini, {"min_tag_count": 3}, budget_seconds=60, clock=lambda: next(ticks))
    assert result.record["stopped"] == "budget" and len(result.trials) == 1 and result.record["check"] is None
