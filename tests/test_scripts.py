"""Every script kept in scripts/ runs: on the tiny fixture with small settings, or with --help where it
needs what tests do not have (the peers' environments and ../shared for benchmark.py, Chromium for
check_report.py; check_page.py drives Chromium on the fixture model, its seed check needs the full
model). Each runs as its own process, as a user would start it, in a temporary folder."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPTS = Path(__file__).resolve().parent.parent / "scripts"
MINI = Path(__file__).resolve().parent / "fixtures" / "mini_fr.jsonl"
TESTED = {"ablation.py", "cv_thresholds.py", "cv_title_share.py", "cv_loss.py", "benchmark.py", "bench_speed.py",
          "bench_import.py", "bench_evaluate.py", "check_report.py", "make_scale_corpus.py",
          "bench_scale.py", "bench_duplicates.py", "probe_trust.py", "bench_service.py", "check_page.py"}


def run(script: str, *args: str, cwd: Path, timeout: float = 120) -> subprocess.CompletedProcess:
    env = {**os.environ, "CLASSIFIER_ARTIFACTS": str(cwd / "artifacts")}
    done = subprocess.run([sys.executable, str(SCRIPTS / script), *map(str, args)], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, f"{script} failed ({done.returncode}):\n{done.stdout}\n{done.stderr[-3000:]}"
    return done


def is_f1(x: object) -> bool:
    return isinstance(x, float) and 0.0 <= x <= 1.0


def test_every_script_is_tested_and_imports_the_package_normally():
    scripts = {p.name for p in SCRIPTS.glob("*.py") if not p.name.startswith("_")}
    assert scripts == TESTED, "a script was added or removed: give it a test here"
    for path in SCRIPTS.glob("*.py"):
        assert "sys.path.insert" not in path.read_text(encoding="utf-8"), path.name


def test_ablation(tmp_path):
    done = run("ablation.py", MINI, "--min-tag-count", 3, "--json", tmp_path / "out.json", cwd=tmp_path)
    rows = json.loads((tmp_path / "out.json").read_text())
    assert len(rows) == 14 and rows[0]["change"].startswith("default")
    assert all(is_f1(r["val_micro_f1"]) and is_f1(r["val_macro_f1"]) for r in rows)
    assert rows[0]["val_micro_f1"] > 0
    assert "validation articles" in done.stdout


@pytest.fixture(scope="module")
def cv_rows(tmp_path_factory):
    """cv_thresholds.py and cv_title_share.py on the same folds and settings."""
    tmp = tmp_path_factory.mktemp("cv")
    common = (MINI, "--min-tag-count", 3, "--folds", 3)
    run("cv_thresholds.py", *common, "--json", tmp / "thr.json", cwd=tmp)
    run("cv_title_share.py", *common, "--share-min-support", 0, "--json", tmp / "share.json", cwd=tmp)
    run("cv_loss.py", *common, "--losses", "ridge,ensemble", "--alphas", "0.3,1", "--json", tmp / "loss.json", cwd=tmp)
    return tuple(json.loads((tmp / f"{name}.json").read_text()) for name in ("thr", "share", "loss"))


def test_cv_thresholds(cv_rows):
    rows, *_ = cv_rows
    assert len(rows) == 8 and {r["min_tags"] for r in rows} == {0, 1}
    assert all(is_f1(r["micro_f1"]) and is_f1(r["macro_f1"]) for r in rows)
    assert rows[0]["rule"] == "micromacro (default)" and rows[0]["micro_f1"] > 0


def test_cv_title_share(cv_rows):
    thresholds, rows, _ = cv_rows
    assert [r["min_share"] for r in rows] == [0.0, 0.03, 0.05, 0.1, 0.15, 0.2]
    assert all(is_f1(r["micro_f1"]) and is_f1(r["macro_f1"]) and r["tags_per_article"] >= 1 for r in rows)
    # Share cut off, title once: the default model deciding the same folds, so the same figures.
    default = next(r for r in thresholds if r["rule"] == "micromacro (default)" and r["min_tags"] == 1)
    assert (rows[0]["micro_f1"], rows[0]["macro_f1"]) == (default["micro_f1"], default["macro_f1"])


def test_cv_loss(cv_rows):
    thresholds, _, rows = cv_rows
    assert [(r["loss"], r["alpha"]) for r in rows] == [("ridge", 0.3), ("ridge", 1.0), ("ensemble", 0.3),
                                                        ("ensemble", 1.0)]
    assert all(is_f1(r["micro_f1"]) and is_f1(r["macro_f1"]) and r["seconds_per_fold"] >= 0 for r in rows)
    assert all(r["section_col"] == "section" for r in rows)
    assert len({(r["micro_f1"], r["macro_f1"]) for r in rows}) > 1
    # Ridge at alpha 0.3 is cv_thresholds.py's model (its --loss default) deciding the same folds.
    default = next(r for r in thresholds if r["rule"] == "micromacro (default)" and r["min_tags"] == 1)
    assert (rows[0]["micro_f1"], rows[0]["macro_f1"]) == (default["micro_f1"], default["macro_f1"])


def test_bench_speed(tmp_path):
    done = run("bench_speed.py", "--train", MINI, "--corpus", MINI, "--repeat", 1, "--json", tmp_path / "speed.json",
               cwd=tmp_path)
    r = json.loads((tmp_path / "speed.json").read_text())
    assert r["train_seconds"] > 0 and r["batch"]["articles"] == 150 and r["batch_process"]["articles"] == 150
    assert r["cold_predict_seconds"]["target"] == 0.5 and r["help_seconds"]["target"] == 0.25
    for key in ("cold_predict_seconds", "help_seconds"):
        assert isinstance(r[key]["passed"], bool) and r[key]["median"] > 0
        assert r[key]["passed"] == (r[key]["median"] <= r[key]["target"])
    assert done.stdout.count("PASS") + done.stdout.count("FAIL") == 2
    assert "(target <= 0.5 s)" in done.stdout and "(target <= 0.25 s)" in done.stdout


def test_bench_import(tmp_path):
    done = run("bench_import.py", "--corpus", MINI, "--articles", 200, cwd=tmp_path)
    lines = done.stdout.splitlines()
    assert lines[0].startswith("200 articles as saved text pages, --dedupe near:")
    assert lines[2].startswith("200 articles as one CSV export, --dedupe near:")
    assert lines[1].strip().startswith("Read 200 records: imported ") and "rejected 0" in lines[1]


def test_bench_evaluate(tmp_path):
    done = run("bench_evaluate.py", "--train", MINI, "--test", MINI, "--repeat", 1, cwd=tmp_path)
    assert "classifier evaluate on" in done.stdout and "over 1 runs" in done.stdout


@pytest.mark.parametrize("script, expected", [("benchmark.py", ["--train", "--test", "--systems"]),
                                              ("check_report.py", ["report", "--screenshot"])])
def test_help_of_scripts_needing_outside_tools(tmp_path, script, expected):
    done = run(script, "--help", cwd=tmp_path)
    assert done.stdout.startswith(f"usage: {script}")
    for option in expected:
        assert option in done.stdout


def test_make_scale_corpus(tmp_path):
    import gzip

    run("make_scale_corpus.py", 400, tmp_path / "big.jsonl.gz", "--source", MINI, "--drop", 0.3, cwd=tmp_path)
    rows = [json.loads(line) for line in gzip.open(tmp_path / "big.jsonl.gz", "rt", encoding="utf-8")]
    source = {r["id"]: r for r in map(json.loads, MINI.read_text(encoding="utf-8").splitlines())}
    assert len(rows) == 400 and len({r["id"] for r in rows}) == 400
    for r in rows[:50]:
        original = source[r["id"].split("~")[0]]
        assert r["tags"] == original["tags"] and r["title"] == original["title"]
        words = original["text"].split()
        assert set(r["text"].split()) <= set(words) and len(r["text"].split()) < len(words)
    again = tmp_path / "again.jsonl"
    run("make_scale_corpus.py", 400, again, "--source", MINI, "--drop", 0.3, cwd=tmp_path)
    assert [json.loads(line) for line in again.read_text(encoding="utf-8").splitlines()] == rows  # seeded


def test_bench_scale(tmp_path):
    done = run("bench_scale.py", "--sizes", "300,600", "--source", MINI, "--work", tmp_path / "w", "--out", tmp_path,
               "--name", "tiny", "--train-args", "--min-tag-count 3 --solver primal", cwd=tmp_path, timeout=300)
    result = json.loads((tmp_path / "tiny.json").read_text())
    assert [r["articles"] for r in result["rows"]] == [300, 600]
    assert all(r["solver"] == "primal" and r["train_s"] > 0 and r["model_mb"] > 0 for r in result["rows"])
    assert isinstance(result["train_s_exponent"]["fit"], float)
    assert (tmp_path / "tiny.png").read_bytes()[:4] == b"\x89PNG" and "grows as articles^" in done.stdout


def test_probe_trust(tmp_path):
    listed = run("probe_trust.py", "--list", cwd=tmp_path)
    assert len(listed.stdout.splitlines()) >= 100
    done = run("probe_trust.py", "--only", "manifest_missing,payload_as_model,model_empty", "--format", "json",
               cwd=tmp_path)
    summary = json.loads(done.stdout)["summary"]
    assert summary["probes"] == 3 and summary["clean"] == 3


def test_bench_duplicates(tmp_path):
    done = run("bench_duplicates.py", "--source", MINI, "--articles", 300, "--thresholds", "0.9,0.7",
               "--json", tmp_path / "d.json", cwd=tmp_path)
    rows = json.loads((tmp_path / "d.json").read_text())
    assert [r["threshold"] for r in rows] == [0.9, 0.7] and all(r["articles"] == 300 for r in rows)
    assert rows[0]["exact_pairs"] > 50 and rows[0]["recall"] == 1.0 and rows[0]["not_in_exact"] == 0
    assert "recall" in done.stdout


def test_check_page(tmp_path, trained, chromium):
    """The editor's page end to end on the mini model (the script's default, the seed article with a
    model of the bundled corpus, is what `python scripts/check_page.py` checks by hand)."""
    from classifier import article_text, load_articles, predict

    corpus = load_articles(MINI)
    title, _, text = corpus.texts[3].partition("\n")
    (tmp_path / "article.txt").write_text(f"{title}\n{text}\n", encoding="utf-8")
    found = predict(trained.model, [article_text(title, text)])[0]
    done = run("check_page.py", "--model", trained.run_dir, "--article", tmp_path / "article.txt", "--expect",
               ",".join(found.tags + ["no such tag"]), "--at-least", len(found.tags), "--evidence-for", found.tags[0],
               "--screenshot", tmp_path / "page.png", "--chromium", chromium, cwd=tmp_path, timeout=240)
    result = json.loads(done.stdout)
    assert result["ok"] and result["suggested"] == found.tags and result["clicked"] == found.tags[0]
    assert result["marked"] and result["console_errors"] == [] and all(result["checks"].values())
    assert (tmp_path / "page.png").read_bytes()[:4] == b"\x89PNG"


def test_bench_service(tmp_path):
    subprocess.run([sys.executable, "-m", "classifier", "train", str(MINI), "--out", str(tmp_path / "run"),
                    "--min-tag-count", "3", "--quiet"], check=True, cwd=tmp_path, timeout=300,
                   env={**os.environ, "CLASSIFIER_ARTIFACTS": str(tmp_path / "artifacts")})
    done = run("bench_service.py", "--model", tmp_path / "run", "--corpus", MINI, "--requests", 200,
               "--explain-requests", 40, "--batch-requests", 2, "--batch-size", 10, "--reload",
               "--json", tmp_path / "bench.json", cwd=tmp_path, timeout=300)
    r = json.loads((tmp_path / "bench.json").read_text())
    for phase, count in (("tag", 200), ("tag_explain", 40), ("tag_batch", 2)):
        assert r[phase]["requests"] == count and r[phase]["errors"] == {}
        assert r[phase]["runs"] == {"run": count} and r[phase]["requests_per_s"] > 0
        assert r[phase]["p99_ms"] >= r[phase]["p50_ms"] > 0 and r[phase]["server_cpu_ms_per_request"] > 0
    assert r["tag"]["reload"] == {"status": 200, "model": "run"}
    assert r["tag_batch"]["articles_per_s"] > 0 and len(r["rss_mib"]) == 2
    assert all(v > 0 for v in r["rss_mib"].values()) and r["server_tracebacks"] == 0
    assert "POST /v1/tag " in done.stdout and ("PASS" in done.stdout or "FAIL" in done.stdout)
