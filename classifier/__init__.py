"""Tag news articles the way a site's editors do: TF-IDF, one-vs-rest ridge, per-tag thresholds."""

from __future__ import annotations

__version__ = "0.1.0"

from .artifacts import load_model, save_model
from .data import load_articles
from .errors import ClassifierError, DataError, ModelError, NotFittedError
from .model import TagModel
from .types import Corpus, Prediction
from .workflow import TrainResult, predict, train

__all__ = [
    "ClassifierError", "Corpus", "DataError", "ModelError", "NotFittedError", "Prediction", "TagModel",
    "TrainResult", "__version__", "load_articles", "load_model", "predict", "save_model", "train",
]
