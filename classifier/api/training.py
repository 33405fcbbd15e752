"""`train`: read a corpus, fit a `TagModel`, save it as a run with its manifest."""

from __future__ import annotations

import datetime as _dt
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from classifier.api import runs
from classifier.corpus.articles import DEFAULT_TEST, DEFAULT_TRAIN, CorpusStream, load_articles, numbering_note
from classifier.corpus.reader import OnError, repaired_note
from classifier.errors import DataError
from classifier.fileio import sha256_of
from classifier.model import TagModel
from classifier.progress import Progress, no_progress
from classifier.types import Corpus

if TYPE_CHECKING:
    from collections.abc import Callable

    from classifier.model.search import Trial


@dataclass
class TrainResult:
    """What `train` produced: the saved run folder, the fitted model and its manifest."""

    run_dir: Path
    model: TagModel
    manifest: dict[str, Any]
    corpus: Corpus
    notes: list[str] = field(default_factory=list)


def train(data: str | Path | None = None, *, out: str | Path | None = None, text_col: str = "text",
          tags_col: str = "tags", title_col: str | None = "title", section_col: str | None = "section",
          id_col: str | None = None, tag_sep: str | None = None, tag_map: str | Path | dict[str, str] | None = None,
          test_data: str | Path | None = None,
          on_error: OnError = "raise", dask: str | None = None, force: bool = False,
          feedback: str | Path | None = None, tune: float | None = None, tune_metric: str = "micro+macro",
          tune_trials: int | None = None, on_trial: Callable[[Trial], None] | None = None,
          progress: Progress | None = None, **model_params: Any) -> TrainResult:
    """Read `data` (default: the bundled OrangeSum training split), fit a `TagModel`, save the run.

    `model_params` go to `TagModel` (language, alpha, min_tag_count, fbr, min_tags, ...). The run goes
    to `out`, or to a new folder under the artifacts root; `latest` is pointed at it. `tag_map` renames
    or drops tags first (a dict, or a from,to CSV file). With `test_data` (default: the bundled test
    split when training on the bundled training split), near-duplicates shared by the two are counted
    in `notes`: they inflate every metric. A malformed record stops training with an error naming its
    line, or with `on_error="skip"` is skipped and listed in the corpus's `skipped`. With `dask` (a
    scheduler address, or "local"), the primal path's per-tag fits run on that Dask cluster. An
    existing `out` is refused before any work unless `force`. `feedback` (an editors' feedback file,
    as the service writes it) adds the corrected articles with the editors' tags (the latest event
    per article wins); one whose id is in `data` replaces that article. The manifest's
    `training_data.feedback` counts them. With `tune` (a budget in minutes), the settings `SPACE`
    names are searched first from `model_params` (`model.search`: each candidate scored by its
    held-out validation on `data`, criterion `tune_metric`, at most `tune_trials` candidates,
    `on_trial` called after each) and the run is the best candidate; the manifest's `search`
    records every trial.
    """
    progress = progress or no_progress
    started = time.perf_counter()
    if tune is not None and dask is not None:
        raise DataError("--tune runs its search on this machine; leave out --dask, or train with the chosen settings "
                        "on the cluster afterwards")
    if out is not None and Path(out).exists() and not force:
        raise DataError(f"{out}: already exists; give another --out, or --force to replace that run")
    space_note = runs.check_writable(Path(out).parent if out is not None else runs.artifacts_root())
    path = Path(data) if data is not None else DEFAULT_TRAIN
    progress("reading", 0, 0)
    mapping = None
    if tag_map:
        from classifier.corpus.tagmap import load_tag_map

        mapping = tag_map if isinstance(tag_map, dict) else load_tag_map(tag_map)
    corrections = None
    if feedback is not None:
        from classifier.corpus.feedback import load_corrections

        corrections = load_corrections(feedback)
        if not len(corrections):
            raise DataError(f"{feedback}: no feedback event could be read; nothing to add to the training data")
    source = CorpusStream(path, text_col=text_col, tags_col=tags_col, title_col=title_col, section_col=section_col,
                          id_col=id_col, tag_sep=tag_sep, on_error=on_error, tag_map=mapping, extra=corrections)
    leakage = []
    test_path = Path(test_data) if test_data is not None else (DEFAULT_TEST if data is None else None)
    if test_path is not None:
        leakage = _leakage_notes(source, test_path, progress)
    model = TagModel(**model_params)
    on_cluster, notes, searched = None, list(leakage) + space_note, None
    if tune is not None:
        from classifier.model.search import search

        searched = search(source, model_params, budget_seconds=tune * 60, metric=tune_metric, max_trials=tune_trials,
                          progress=progress, on_trial=on_trial)
        model = searched.model
    elif dask is None:
        model.fit_stream(source, progress=progress)
    else:
        on_cluster = _fit_on_cluster(model, source, dask, progress)
        if on_cluster is None:
            notes.append(f"--dask: the {model.solver_} path was chosen ({len(source.ids)} articles), which runs "
                         "on this machine; nothing was sent to the cluster (--solver primal sends the per-tag fits)")
    corpus = source.corpus()
    if corpus.repaired:
        notes.append(repaired_note(corpus.repaired))
    if corpus.numbered:
        notes.append(numbering_note(path, corpus.numbered, len(corpus), id_col))
    seconds = time.perf_counter() - started
    manifest = build_manifest(model, corpus, path, seconds)
    manifest["training_data"]["columns"] = {k: source.options[k] for k in ("text_col", "title_col", "section_col")}
    manifest["cluster"] = on_cluster
    if searched is not None:
        manifest["search"] = searched.record
    if corrections is not None:
        manifest["training_data"]["feedback"] = feedback_summary(feedback, corrections, source.replaced)
        notes += [f"{feedback}: skipped {s.where.rsplit(':', 1)[-1]}: {s.reason}" for s in corrections.skipped]
    if leakage:
        manifest["leakage_check"] = leakage
    progress("saving", 0, 1)
    if out is None:
        run_dir = runs.save_new_run(model, manifest)
    else:
        run_dir = Path(out)
        runs.save_model(model, run_dir, manifest, exclusive=not force)
    runs.point_latest(run_dir)
    progress("saving", 1, 1)
    return TrainResult(run_dir, model, manifest, corpus, notes)


def tune(data: str | Path | None = None, *, budget: float = 10.0, metric: str = "micro+macro",
         trials: int | None = None, **options: Any) -> TrainResult:
    """`train` with its settings searched first (`classifier tune`): `budget` minutes of search by
    held-out validation on `data` alone, criterion `metric` (micro+macro, micro or macro), at most
    `trials` candidates; the run saved is the best candidate, its manifest's `search` the record."""
    return train(data, tune=budget, tune_metric=metric, tune_trials=trials, **options)


def _fit_on_cluster(model: TagModel, source: CorpusStream, address: str, progress: Progress) -> dict | None:
    """Fit with the primal path's tags on the Dask cluster at `address`: the cluster used, or None
    when the dual path was chosen (it runs here)."""
    from classifier.api.distributed import DaskRunner, cluster
    from classifier.parallel import use_runner

    with cluster(address) as client, use_runner(DaskRunner(client)) as runner:
        model.fit_stream(source, progress=progress)
    return {"address": address, "workers": runner.workers} if model.solver_ == "primal" else None


def _leakage_notes(source: CorpusStream, test_path: Path, progress: Progress) -> list[str]:
    """Near-duplicates shared with the test split. This check holds both splits' texts while it runs
    (it reads the training file once more), before training starts."""
    from classifier.corpus.duplicates import find_shared

    progress("leakage check", 0, 1)
    texts = [text for chunk in source.texts() for text in chunk]
    columns = {k: source.options[k] for k in ("text_col", "title_col", "section_col", "id_col")}
    test = load_articles(test_path, require_tags=False, **columns)
    shared = find_shared(texts, test.texts, threshold=0.9)
    del texts
    progress("leakage check", 1, 1)
    if not shared:
        return []
    examples = ", ".join(f"{source.ids[p.a]}~{test.ids[p.b]}" for p in shared[:5])
    return [f"{len({p.b for p in shared})} of {len(test)} articles in {test_path} are near-duplicates "
            f"(cosine >= 0.9) of training articles ({examples}{' ...' if len(shared) > 5 else ''}); "
            "they inflate every metric measured on that split"]


def _digest(path: Path) -> str:
    """SHA-256 of the training file; of a folder of parts, of each part's name and SHA-256 in order."""
    if not path.is_dir():
        return sha256_of(path)
    import hashlib

    from classifier.corpus.reader import corpus_files

    digest = hashlib.sha256()
    for part in corpus_files(path):
        digest.update(f"{part.name}\0{sha256_of(part)}\n".encode())
    return digest.hexdigest()


def feedback_summary(path: str | Path, corrections: Any, replaced: int) -> dict[str, Any]:
    """What a feedback file added to training or evaluation data, for the manifest and the summary."""
    return {"path": str(Path(path).resolve()), "sha256": sha256_of(Path(path)), "events": corrections.events,
            "articles": len(corrections), "replaced": replaced, "skipped_lines": len(corrections.skipped)}


def build_manifest(model: TagModel, corpus: Corpus, path: Path, seconds: float) -> dict[str, Any]:
    """Everything needed to know what a saved model is, without loading it."""
    params = model.get_params()
    params["ngram_range"] = list(params["ngram_range"])
    return {
        "created": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
        "training_data": {
            "path": str(path.resolve()), "sha256": _digest(path), "articles": len(corpus),
            "skipped": len(corpus.skipped), "skipped_examples": [vars(s) for s in corpus.skipped[:20]],
            "repaired": len(corpus.repaired),
            "numbered_by_line": corpus.numbered,
            "tag_merges": corpus.tag_merges,
        },
        "settings": params,
        "tags": {str(t): {"support": int(s), "threshold": round(float(th), 6)}
                 for t, s, th in zip(model.classes_, model.tag_support_, model.thresholds_)},
        "solver": {"path": model.solver_, "loss": model.loss_, "articles": len(corpus),
                   "rule": f"auto: dual up to {model.dual_max_samples} articles, primal above"
                   if model.solver == "auto" else "set by the user",
                   **({"fits": model.primal_fits_} if hasattr(model, "primal_fits_") else {})},
        "near_duplicates": getattr(model, "near_duplicates_", None),
        "near_duplicate_groups": getattr(model, "near_duplicate_groups_", None),
        "tags_learned": len(model.classes_),
        "tags_left_out": len(model.dropped_tags_),
        "features": len(model.features_),
        "validation": model.validation_,
        "training_seconds": round(seconds, 2),
    }
