"""Tag news articles the way a site's editors do: TF-IDF, one-vs-rest linear models, per-tag thresholds.

The public API is `__all__`. Names are imported on first use, so that `import classifier` (and the
CLI's `--help`) does not pay for NumPy, SciPy or pandas.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

_WHERE = {
    "ClassifierError": "classifier.errors", "DataError": "classifier.errors", "ModelError": "classifier.errors",
    "NotFittedError": "classifier.errors", "Article": "classifier.types", "Corpus": "classifier.types",
    "Prediction": "classifier.types", "Skipped": "classifier.types", "load_articles": "classifier.corpus.articles",
    "iter_articles": "classifier.corpus.articles", "numbering_note": "classifier.corpus.articles",
    "is_corpus_file": "classifier.corpus.reader",
    "TagModel": "classifier.model", "compute_metrics": "classifier.evaluation.metrics",
    "Evaluation": "classifier.evaluation.scoring", "evaluate_model": "classifier.evaluation.scoring",
    "TrainResult": "classifier.api.training", "train": "classifier.api.training", "tune": "classifier.api.training",
    "predict": "classifier.api.tagging", "read_texts": "classifier.api.tagging",
    "read_batches": "classifier.api.tagging", "predict_on_cluster": "classifier.api.distributed",
    "EvaluateResult": "classifier.api.evaluating", "evaluate": "classifier.api.evaluating",
    "evaluate_by_date": "classifier.api.timesplit", "cross_validate": "classifier.api.evaluating",
    "stats": "classifier.api.corpora",
    "import_corpus": "classifier.api.corpora", "load_model": "classifier.api.runs", "save_model": "classifier.api.runs",
    "WriteError": "classifier.errors",
    "StorageError": "classifier.errors", "artifacts_root": "classifier.api.runs",
    "resolve_model_dir": "classifier.api.runs", "read_manifest": "classifier.api.runs",
    "section_column": "classifier.api.runs",
    "article_text": "classifier.corpus.articles", "read_feedback": "classifier.corpus.feedback",
    "load_corrections": "classifier.corpus.feedback", "feedback_file": "classifier.api.feedback",
    "record_feedback": "classifier.api.feedback", "create_app": "classifier.service.app",
    "serve": "classifier.service.server",
}

__all__ = sorted([*_WHERE, "__version__"])


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'classifier' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__
