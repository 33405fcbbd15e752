import json

import pytest
from typer.testing import CliRunner

from classifier import evaluate, evaluate_by_date, stats
from classifier.cli import app
from classifier.errors import DataError


@pytest.fixture(scope="module")
def dated(mini_path, tmp_path_factory):
    """The mini corpus with dates: 30 articles a month from January to May 2020, two undated."""
    rows = [json.loads(line) for line in mini_path.read_text(encoding="utf-8").splitlines()]
    for i, r in enumerate(rows):
        r["date"] = f"2020-{1 + i // 30:02d}-{1 + i % 28:02d}T10:00:00+02:00"
    rows[3]["date"], rows[140]["date"] = "", "hier"
    path = tmp_path_factory.mktemp("dated") / "dated.jsonl"
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path


def test_learns_from_the_past_and_tests_on_what_came_after(dated, tmp_path):
    result = evaluate_by_date(dated, cutoff="2020-04-01", out=tmp_path / "out", min_tag_count=3)
    split = result.timeline["split"]
    assert split == {"cutoff": "2020-04-01", "before": 89, "after": 59, "undated": 2,
                     "first_date": "2020-01-01", "last_date": "2020-05-28"}
    ev = result.evaluation
    assert len(ev.ids) == 59 and "orangesum" in ev.ids[0]
    assert ev.manifest["training_data"]["articles"] == 89  # the model saw only the earlier articles
    assert [r["month"] for r in result.timeline["by_month"]] == ["2020-04", "2020-05"]
    assert sum(r["articles"] for r in result.timeline["by_month"]) == 59
    assert any("2 of 150 articles have no ISO-8601 date in their 'date' field" in n for n in result.notes)
    drift = result.timeline["drift"]
    assert drift["articles_before"] == 89 and drift["articles_after"] == 59 and drift["moved"]
    learned = set(ev.classes)
    assert all(r["tag"] not in learned for r in drift["new_tags"])
    metrics = json.loads((tmp_path / "out" / "metrics.json").read_text())
    assert metrics["split"] == split and metrics["drift"]["new_tag_uses"] == drift["new_tag_uses"]
    page = (tmp_path / "out" / "report.html").read_text()
    assert "Time split" in page and "F1 by month" in page and "Drift" in page
    assert (tmp_path / "out" / "by_month.png").stat().st_size > 1000


def test_the_same_split_gives_the_same_figures(dated, tmp_path):
    a = evaluate_by_date(dated, cutoff="2020-04-01", out=tmp_path / "a", min_tag_count=3)
    b = evaluate_by_date(dated, cutoff="2020-04-01", out=tmp_path / "b", min_tag_count=3)
    assert a.evaluation.metrics == b.evaluation.metrics and a.timeline["drift"] == b.timeline["drift"]


def test_a_cutoff_past_every_date_is_refused_with_a_suggestion(dated, tmp_path):
    with pytest.raises(DataError, match=r"leaves 148 dated articles before it and 0 on or after it.*try --cutoff"):
        evaluate_by_date(dated, cutoff="2021-01-01", out=tmp_path / "x", min_tag_count=3)
    assert not (tmp_path / "x").exists()


def test_evaluate_by_month(trained, dated, mini_path, tmp_path):
    result = evaluate(dated, model=trained.run_dir, out=tmp_path / "m", by_month=True)
    rows = result.timeline["by_month"]
    assert [r["month"] for r in rows] == ["2020-01", "2020-02", "2020-03", "2020-04", "2020-05"]
    assert sum(r["articles"] for r in rows) == 148 and any("2 of 150" in n for n in result.notes)
    assert "by_month" in json.loads((tmp_path / "m" / "metrics.json").read_text())
    with pytest.raises(DataError, match=r"--by-month needs dates.*--date-col"):
        evaluate(mini_path, model=trained.run_dir, out=tmp_path / "n", by_month=True)
    assert not (tmp_path / "n").exists()  # refused before the evaluation and its report


def test_by_month_on_feedback_alone_is_refused_before_anything_is_read(trained, tmp_path, monkeypatch):
    from classifier.api import evaluating

    monkeypatch.setattr(evaluating, "with_feedback", lambda *a: pytest.fail("the feedback was read"))
    with pytest.raises(DataError, match=r"fb.jsonl: --by-month needs dated articles, and editors' feedback"):
        evaluate(model=trained.run_dir, feedback=tmp_path / "fb.jsonl", out=tmp_path / "f", by_month=True)


def test_stats_counts_tags_by_month(dated, mini_path):
    s = stats(dated)
    assert [r["month"] for r in s["by_month"]] == ["2020-01", "2020-02", "2020-03", "2020-04", "2020-05"]
    assert s["undated"] == 2 and sum(r["articles"] for r in s["by_month"]) == 148
    assert "by_month" not in stats(mini_path)


def test_cli(dated, tmp_path):
    runner = CliRunner()
    r = runner.invoke(app, ["evaluate", str(dated), "--split-by", "date", "--cutoff", "2020-04-01", "--out",
                            str(tmp_path / "o"), "--format", "json", "-q"])
    assert r.exit_code == 0, r.output
    payload = json.loads(r.stdout)
    assert payload["split"]["before"] == 89 and payload["articles"] == 59 and "drift" in payload
    assert len(payload["by_month"]) == 2 and "2 of 150 articles have no ISO-8601 date" in r.stderr
    r = runner.invoke(app, ["evaluate", str(dated), "--split-by", "date", "--cutoff", "2020-04-01", "--out",
                            str(tmp_path / "t"), "-q"])
    assert r.exit_code == 0 and "time split at 2020-04-01: learned from 89 articles" in r.stdout
    assert "F1 by month" in r.stdout and "drift:" in r.stdout
    for args, message in ((["--split-by", "date"], "needs --cutoff"), (["--cutoff", "2020-01-01"], "goes with"),
                          (["--split-by", "date", "--cutoff", "2020-01-01", "--cv", "3"], "goes without")):
        r = runner.invoke(app, ["evaluate", str(dated), *args])
        assert r.exit_code == 2 and message in r.output, r.output
    r = runner.invoke(app, ["evaluate", str(dated), "--split-by", "date", "--cutoff", "June"])
    assert r.exit_code == 1 and "is not a date; write it as YYYY-MM-DD" in r.output
    r = runner.invoke(app, ["stats", str(dated), "-q"])
    assert r.exit_code == 0 and "tags by month (5 months, 2 articles undated" in r.stdout
