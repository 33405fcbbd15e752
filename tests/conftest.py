"""Shared fixtures: a tiny real French corpus (150 OrangeSum articles, CC BY-SA 4.0) and a model
trained on it once per test session."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import settings

# Property tests draw the same examples on every run, so CI cannot fail on a lucky draw;
# HYPOTHESIS_PROFILE=explore draws new ones (and keeps failures in .hypothesis/) when hunting bugs.
settings.register_profile("default", derandomize=True)
settings.register_profile("explore", derandomize=False)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))

FIXTURES = Path(__file__).parent / "fixtures"
MINI = FIXTURES / "mini_fr.jsonl"


@pytest.fixture(scope="session")
def mini_path() -> Path:
    return MINI


@pytest.fixture(scope="session")
def artifacts_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("artifacts")


@pytest.fixture(autouse=True)
def _isolated_artifacts(artifacts_dir, monkeypatch):
    """Every test writes runs under a temporary artifacts root, never the repository's."""
    monkeypatch.setenv("CLASSIFIER_ARTIFACTS", str(artifacts_dir))


@pytest.fixture(scope="session")
def trained(artifacts_dir):
    """A run trained on the mini corpus: (TrainResult, run folder)."""
    import os

    from classifier import train

    old = os.environ.get("CLASSIFIER_ARTIFACTS")
    os.environ["CLASSIFIER_ARTIFACTS"] = str(artifacts_dir)
    try:
        result = train(MINI, out=artifacts_dir / "mini-run", min_tag_count=3)
    finally:
        if old is None:
            os.environ.pop("CLASSIFIER_ARTIFACTS", None)
        else:
            os.environ["CLASSIFIER_ARTIFACTS"] = old
    return result
