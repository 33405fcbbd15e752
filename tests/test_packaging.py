"""pyproject.toml lists the packages explicitly (so the bundled corpus can ship as
classifier/training_data/): check the list misses no sub-package and the corpus files are matched.
.ci/run builds the wheel, checks its file list and trains from a non-editable install."""

import tomllib
from fnmatch import fnmatch
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SETUPTOOLS = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]


def test_every_sub_package_is_listed():
    on_disk = {".".join(p.parent.relative_to(REPO).parts) for p in (REPO / "classifier").rglob("__init__.py")}
    listed = set(SETUPTOOLS["packages"]) - {"classifier.training_data"}
    assert listed == on_disk, f"missing from pyproject: {sorted(on_disk - listed)}; stale: {sorted(listed - on_disk)}"
    # the layers named by the import-linter contract are real sub-packages
    assert {"classifier.api", "classifier.cli", "classifier.corpus", "classifier.evaluation", "classifier.model",
            "classifier.text"} <= on_disk


def test_bundled_corpus_is_package_data():
    assert SETUPTOOLS["package-dir"] == {"classifier.training_data": "training_data"}
    assert "classifier.training_data" in SETUPTOOLS["packages"]
    patterns = SETUPTOOLS["package-data"]["classifier.training_data"]
    shipped = {p.name for p in (REPO / "training_data").iterdir() if any(fnmatch(p.name, pat) for pat in patterns)}
    assert {"orangesum_train.jsonl.gz", "orangesum_test.jsonl.gz", "README.md", "sample_article.txt"} <= shipped


def test_default_corpus_is_found():
    from classifier.corpus.articles import DEFAULT_TEST, DEFAULT_TRAIN

    assert DEFAULT_TRAIN.is_file() and DEFAULT_TEST.is_file()


def test_the_editors_page_is_package_data():
    patterns = SETUPTOOLS["package-data"]["classifier.service"]
    assert any(fnmatch("editor.html", pat) for pat in patterns) and (REPO / "classifier/service/editor.html").is_file()
