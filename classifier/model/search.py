"""Settings chosen for a corpus: a coordinate search over `TagModel`'s settings that matter, each
candidate scored by its own held-out validation (`TagModel.validation_`), within a time budget.

Every candidate is a full fit on the search articles, and its `validation_` is cross-validation on
them alone: leave-one-out scores on the dual path (leave-group-out for near-duplicates), k-fold on
the primal path, with thresholds tuned on one half of the articles and scored on the other. No
test split is read. The search starts from the given settings, then tries each value of each
setting in `SPACE`'s fixed order, keeping a change only when it raises the criterion (micro-F1 +
macro-F1 by default), and repeats the pass until one changes nothing (`converged`), the budget has
no room for the next candidate (`budget`), or `max_trials` is reached. The order is fixed and every
fit is deterministic, so a search that converges, or that is given `max_trials`, makes the same
choice on any machine; one stopped by the budget records how many trials it ran.

The best candidate is then checked against the starting settings by `confirm_folds`-fold
cross-validation (`crossval`: both fitted on the same folds, no leave-one-out shortcut), and kept
only if its gain there is more than one standard error (a paired bootstrap over the articles'
near-duplicate groups); otherwise the starting settings are the choice. The squared hinge's
leave-one-out reads higher than k-fold does, so the leave-one-out ranking alone chose it on corpora
where cross-validation ranks the default ensemble level or above (docs/benchmarks.md). The search
keeps room in its budget for this check.

On a corpus of more than `max_articles` articles the search runs on an evenly spaced sample of
them and the chosen settings are then fitted on all; otherwise the chosen candidate is the model.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from classifier.errors import DataError
from classifier.evaluation.metrics import compute_metrics
from classifier.evaluation.splits import hash_folds
from classifier.model import crossval, features
from classifier.model.estimator import TagModel
from classifier.progress import Progress, no_progress

# The settings searched, in the order tried, each with its candidate values. The order puts first
# what moved cross-validation most (docs/benchmarks.md): the title's weight (3 to 5: beyond one
# standard error on OrangeSum, within it on Reuters), the loss and its regularisation, the share
# cut, then the feature space and the threshold rule. First, because on the default corpus a
# 10-minute budget reaches only the first few settings.
SPACE: tuple[tuple[str, tuple], ...] = (
    ("title_weight", (1, 3, 5)),
    ("loss", ("ridge", "squared_hinge", "ensemble")),
    ("alpha", (0.1, 0.2, 0.3, 0.5, 1.0)),
    ("min_share", (0.0, 0.1, 0.2, 0.3)),
    ("ngram_range", ((1, 1), (1, 2))),
    ("min_df", (1, 2, 3)),
    ("max_df", (0.3, 0.5, 1.0)),
    ("threshold_rule", ("micromacro", "scutfbr")),
)
METRICS = {"micro+macro": ("micro_f1", "macro_f1"), "micro": ("micro_f1",), "macro": ("macro_f1",)}
MAX_PASSES = 3
CONFIRM_FOLDS = 3


@dataclass
class Trial:
    """One candidate: the searched settings that differ from the start, its validation, its fit time."""

    number: int
    changes: dict[str, Any]
    micro_f1: float
    macro_f1: float
    score: float
    seconds: float
    best: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {"trial": self.number, "changes": {k: _plain(v) for k, v in self.changes.items()},
                "micro_f1": round(self.micro_f1, 4), "macro_f1": round(self.macro_f1, 4), "score": round(self.score, 4),
                "seconds": round(self.seconds, 1), "best": self.best}


@dataclass
class SearchResult:
    """The model fitted with the chosen settings, and the record of the search (for the manifest)."""

    model: TagModel
    trials: list[Trial] = field(default_factory=list)
    record: dict[str, Any] = field(default_factory=dict)


def _plain(value: Any) -> Any:
    """A setting as JSON keeps it: an n-gram range as a list."""
    return list(value) if isinstance(value, tuple) else value


def criterion(validation: dict[str, Any], metric: str) -> float:
    """The search's score of a validation: the sum of the `metric`'s measures."""
    return float(sum(validation[name] for name in METRICS[metric]))


def _in_memory(source: features.ArticleSource, limit: int,
               progress: Progress) -> tuple[features.InMemory, int | None]:
    """The articles to search on, held in memory so that each candidate does not read the source
    again: all of them when there are at most `limit`, else an evenly spaced sample of at most
    `limit` (and the corpus's size, which the final fit then covers)."""
    texts: list[str] = []
    n = 0
    for chunk in source.texts():
        if n + len(chunk) <= limit:
            texts.extend(chunk)
        n += len(chunk)
        progress("reading", n, 0)
    progress("reading", n, n)
    if n <= limit:
        return features.InMemory(texts, [list(t) for t in source.tags()]), None
    step = -(-n // limit)
    texts, i = [], 0
    for chunk in source.texts():
        texts.extend(t for j, t in enumerate(chunk, i) if j % step == 0)
        i += len(chunk)
    return features.InMemory(texts, [list(t) for j, t in enumerate(source.tags()) if j % step == 0]), n


def _check(data: features.InMemory, start_model: TagModel, settings: list[dict[str, Any]], k: int, metric: str,
           progress: Progress) -> dict[str, Any]:
    """The k-fold check of a candidate (`settings[1]`) against the start (`settings[0]`): both
    decided on the same folds, and the candidate kept only if its gain in the criterion is more
    than one standard error of a paired bootstrap over near-duplicate groups (the one-standard-error
    rule: the start is the defaults, chosen on more evidence than one corpus's search)."""
    groups = crossval.group_keys(start_model, data.all_texts)
    folds = hash_folds(groups, k)
    check: dict[str, Any] = {"folds": k}
    decided = []
    for name, these in zip(("start", "candidate"), settings):
        began = time.perf_counter()
        gold, pred = crossval.cross_predict(data, these, folds, progress=progress, label=f"check: {name}")
        cv = compute_metrics(gold, pred, names=["micro_f1", "macro_f1"])
        check[name] = {**cv, "score": round(criterion(cv, metric), 4), "seconds": round(time.perf_counter() - began, 1)}
        decided.append(pred)
    gain, error = crossval.paired_gain(gold, *decided, METRICS[metric], groups=groups)
    check.update(gain=round(gain, 4), standard_error=round(error, 4),
                 kept="candidate" if gain > error else "start")
    return check


def search(source: features.ArticleSource, params: dict[str, Any] | None = None, *, budget_seconds: float = 600,
           metric: str = "micro+macro", max_trials: int | None = None, max_articles: int = 20_000,
           confirm_folds: int = CONFIRM_FOLDS, progress: Progress | None = None,
           on_trial: Callable[[Trial], None] | None = None,
           clock: Callable[[], float] = time.perf_counter) -> SearchResult:
    """Search `SPACE` from `params` (TagModel settings; the rest stay as given) on `source`'s
    articles. `on_trial` is called after each candidate. `confirm_folds`: the folds of the check of
    the best candidate against the start (0: no check). Returns the model of the chosen settings."""
    if metric not in METRICS:
        raise DataError(f"metric must be one of {', '.join(METRICS)}; got {metric!r}")
    if not budget_seconds > 0:
        raise DataError(f"the budget must be more than 0 minutes; got {budget_seconds / 60:g}")
    if max_trials is not None and max_trials < 1:
        raise DataError(f"max_trials must be at least 1; got {max_trials}")
    if confirm_folds == 1 or confirm_folds < 0:
        raise DataError(f"confirm_folds must be 0 (no check) or at least 2; got {confirm_folds}")
    progress = progress or no_progress
    start = clock()
    base = TagModel(**(params or {})).get_params()
    data, total = _in_memory(source, max_articles, progress)
    current = dict(base)
    trials: list[Trial] = []
    seen: dict[tuple, Trial] = {}
    best_model: TagModel | None = None
    start_model: TagModel | None = None
    best_score = float("-inf")
    auto_loss: str | None = None
    stopped = "converged"
    # The ensemble exists on the dual path only: not searched when the final fit takes the primal one.
    dual_final = base["solver"] != "primal" and (total or len(data.all_tags)) <= base["dual_max_samples"]

    def key(settings: dict[str, Any]) -> tuple:
        loss = auto_loss if settings["loss"] == "auto" and auto_loss else settings["loss"]
        return tuple(loss if name == "loss" else settings[name] for name, _ in SPACE)

    def estimate(settings: dict[str, Any]) -> float:
        """Seconds the candidate should take: the mean of the trials with its loss and n-grams (the
        squared hinge costs several times the ridge), else of those with its n-grams, else 2.5 times
        the mean of all."""
        def like(t: Trial, names: tuple[str, ...]) -> bool:
            mine = {**base, **t.changes}
            return all(key({**base, name: mine[name]}) == key({**base, name: settings[name]}) for name in names)

        for names in (("loss", "ngram_range"), ("ngram_range",)):
            same = [t.seconds for t in trials if like(t, names)]
            if same:
                return sum(same) / len(same)
        return 2.5 * sum(t.seconds for t in trials) / len(trials)

    def reserve(settings: dict[str, Any]) -> float:
        """Seconds to keep for the check, were `settings` to be the best: k fits on (k-1)/k of the
        articles for the start and for the slowest candidate it could be."""
        slowest = max([estimate(settings), *(t.seconds for t in trials[1:])])
        return (confirm_folds - 1) * (trials[0].seconds + slowest) if confirm_folds else 0.0

    def run(settings: dict[str, Any]) -> Trial:
        nonlocal best_model, best_score, auto_loss, start_model
        began = clock()
        model = TagModel(**settings).fit_stream(data)
        if auto_loss is None and base["loss"] == "auto":
            auto_loss = model.loss_
        score = criterion(model.validation_, metric)
        changes = {name: settings[name] for name, _ in SPACE if settings[name] != base[name]}
        trial = Trial(len(trials) + 1, changes, float(model.validation_["micro_f1"]),
                      float(model.validation_["macro_f1"]), score, clock() - began)
        trials.append(trial)
        seen[key(settings)] = trial
        if score > best_score:
            best_model, best_score = model, score
        if start_model is None:
            start_model = model
        progress("search", len(trials), 0)
        if on_trial is not None:
            on_trial(trial)
        return trial

    progress("search", 0, 0)
    run(current)
    for _ in range(MAX_PASSES):
        changed = False
        for name, values in SPACE:
            for value in values:
                candidate = {**current, name: value}
                if key(candidate) in seen or (value == "ensemble" and not dual_final):
                    continue
                if max_trials is not None and len(trials) >= max_trials:
                    stopped = "trials"
                    break
                if clock() - start + estimate(candidate) + reserve(candidate) > budget_seconds:
                    stopped = "budget"
                    break
                if run(candidate).score > seen[key(current)].score:
                    current, changed = candidate, True
            if stopped != "converged":
                break
        if stopped != "converged" or not changed:
            break
    best = max(trials, key=lambda t: (t.score, -t.number))
    model, check = best_model, None
    if confirm_folds and best.number != 1:
        check = _check(data, start_model, [{**base, **t.changes} for t in (trials[0], best)], confirm_folds,
                       metric, progress)
        check["candidate_trial"] = best.number
        if check["kept"] == "start":
            best, model = trials[0], start_model
    best.best = True
    chosen = {**base, **best.changes}
    if total is not None:
        progress("final fit", 0, 1)
        model = TagModel(**chosen).fit_stream(source, progress=progress)
        progress("final fit", 1, 1)
    record = {
        "criterion": " + ".join(METRICS[metric]) + " of each candidate's held-out validation on the training data"
                     + (f"; the best then checked against the start by {confirm_folds}-fold cross-validation "
                        "(kept if its gain is more than one standard error)" if confirm_folds else ""),
        "metric": metric, "budget_seconds": round(budget_seconds, 1), "seconds": round(clock() - start, 1),
        "stopped": stopped, "articles": total or len(data.all_tags), "searched_on": len(data.all_tags),
        "space": {name: [_plain(v) for v in values] for name, values in SPACE},
        "chosen": {name: _plain(chosen[name]) for name, _ in SPACE},
        "best_trial": best.number, "trials": [t.as_dict() for t in trials], "check": check,
    }
    return SearchResult(model, trials, record)
