"""Tag news articles the way a site's editors do: TF-IDF, one-vs-rest ridge, per-tag thresholds."""

from __future__ import annotations

__version__ = "0.1.0"

from .artifacts import load_model, save_model
from .data import load_articles
from .errors import ClassifierError, DataError, ModelError, NotFittedError
from .evaluation import Evaluation, evaluate_model
from .metrics import compute_metrics
from .model import TagModel
from .types import Corpus, Prediction
from .workflow import EvaluateResult, TrainResult, cross_validate, evaluate, predict, train

__all__ = [
    "ClassifierError", "Corpus", "DataError", "EvaluateResult", "Evaluation", "ModelError", "NotFittedError",
    "Prediction", "TagModel", "TrainResult", "__version__", "compute_metrics", "cross_validate", "evaluate",
    "evaluate_model", "load_articles", "load_model", "predict", "save_model", "train",
]
