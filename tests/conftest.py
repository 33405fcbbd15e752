"""Shared fixtures: a tiny real French corpus (150 OrangeSum articles, CC BY-SA 4.0) and a model
trained on it once per test session; where the project's shared folder and Chromium are, and what to
do when they are missing (skip on a developer's machine, fail under CI)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
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
REPO = Path(__file__).resolve().parent.parent
# The project's shared folder (the benchmark scorer, seed pages): CLASSIFIER_SHARED, else beside the checkout.
SHARED = Path(os.environ.get("CLASSIFIER_SHARED") or REPO.parent / "shared")


def under_ci() -> bool:
    """CI sets CI=true; there a test that cannot find what it needs must fail, not skip silently."""
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def missing(what: str, how: str) -> None:
    """Skip the calling test (fail it under CI), saying what is missing and how to get it."""
    message = f"{what} is missing; {how}"
    if under_ci():
        pytest.fail(f"{message} (CI is set, so this test must run, not skip)", pytrace=False)
    pytest.skip(message)


@pytest.fixture(scope="session")
def shared_file() -> Callable[[str], Path]:
    """`shared_file("bench/score.py")`: that file of the shared folder, or skip (fail under CI)."""

    def get(relative: str) -> Path:
        path = SHARED / relative
        if not path.is_file():
            missing(f"{path} (the shared folder's {relative})",
                    f"put the project's shared/ folder beside the checkout ({REPO.parent / 'shared'}) "
                    "or point CLASSIFIER_SHARED at it")
        return path

    return get


@pytest.fixture(scope="session")
def chromium() -> str:
    """The path of Debian's headless Chromium, or skip (fail under CI)."""
    found = shutil.which("chromium")
    if found is None:
        missing("Debian's chromium (on PATH as `chromium`)",
                "install it with: apt-get update && apt-get install -y --no-install-recommends chromium "
                "chromium-driver (.ci/run does this)")
    return found


@pytest.fixture(scope="session")
def mini_path() -> Path:
    return MINI


@pytest.fixture(scope="session")
def sectioned_path(tmp_path_factory) -> Path:
    """The mini corpus with a `section` field: "Santé publique" on the articles tagged santé (29%),
    "Monde" on the others."""
    import json

    rows = [json.loads(line) for line in MINI.read_text(encoding="utf-8").splitlines()]
    for r in rows:
        r["section"] = "Santé publique" if "santé" in r["tags"] else "Monde"
    path = tmp_path_factory.mktemp("sectioned") / "sections.jsonl"
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path


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
