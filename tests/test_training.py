"""`train` on a file streams it: read twice, chunk by chunk, every record checked on the first read."""

import gc
import json
import weakref

import pytest

from classifier import DataError, train
from classifier.api import training
from classifier.corpus import articles
from classifier.text import tfidf


class Chunk(list):
    """A list that can be watched with a weak reference."""


@pytest.fixture
def watched_reads(monkeypatch):
    """Every read of a corpus in chunks of 16 articles, counted; fails when a chunk is read while an
    earlier one but the last is still alive (all the texts held at once)."""
    log = {"reads": 0, "alive": [], "most_alive": 0}
    real = articles.iter_articles

    def watched(path, **options):
        log["reads"] += 1
        for batch in real(path, **{**options, "batch_size": 16}):
            gc.collect()
            log["alive"] = [r for r in log["alive"] if r() is not None]
            log["most_alive"] = max(log["most_alive"], len(log["alive"]))
            assert len(log["alive"]) <= 1, f"{len(log['alive'])} chunks of texts alive at once"
            batch.texts = Chunk(batch.texts)
            log["alive"].append(weakref.ref(batch.texts))
            yield batch

    def no_whole_load(*args, **kwargs):
        raise AssertionError("the training file was loaded whole")

    monkeypatch.setattr(articles, "iter_articles", watched)
    monkeypatch.setattr(training, "load_articles", no_whole_load)
    return log


def test_a_file_is_read_twice_one_chunk_at_a_time(watched_reads, mini_path, tmp_path):
    result = train(mini_path, out=tmp_path / "run", min_tag_count=3)
    assert watched_reads["reads"] == 2 and watched_reads["most_alive"] == 1
    assert len(result.corpus) == 150 and result.corpus.texts == [] and len(result.corpus.tags) == 150
    assert result.manifest["training_data"]["articles"] == 150 and len(result.model.classes_) > 5


def test_the_watch_catches_a_reader_that_holds_every_chunk(watched_reads, mini_path):
    """The fixture above can fail: reading the file into one list trips it."""
    with pytest.raises(AssertionError, match="chunks of texts alive"):
        list(articles.iter_articles(mini_path))


def broken_copy(mini_path, tmp_path):
    lines = mini_path.read_text(encoding="utf-8").splitlines()
    broken = tmp_path / "broken.jsonl"
    broken.write_text("\n".join(lines[:120] + ['{"id": "x", "text": oops'] + lines[120:]) + "\n", encoding="utf-8")
    return broken


def test_a_broken_line_is_named_before_vectorising(mini_path, tmp_path, monkeypatch):
    def no_rows(*args, **kwargs):
        raise AssertionError("vectorised before the broken line was reported")

    monkeypatch.setattr(tfidf, "stack_rows", no_rows)
    with pytest.raises(DataError, match=r"broken\.jsonl:121: invalid JSON"):
        train(broken_copy(mini_path, tmp_path), out=tmp_path / "run", min_tag_count=3)
    assert not (tmp_path / "run").exists()


def test_skipped_lines_are_counted_once_though_the_file_is_read_twice(mini_path, tmp_path):
    result = train(broken_copy(mini_path, tmp_path), out=tmp_path / "run", min_tag_count=3, on_error="skip")
    assert len(result.corpus) == 150 and [s.where[-3:] for s in result.corpus.skipped] == ["121"]
    manifest = json.loads((tmp_path / "run" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["training_data"]["skipped"] == 1 and manifest["training_data"]["articles"] == 150


def test_tag_spellings_are_merged_then_the_tag_map_applied(mini_path, tmp_path):
    rows = [json.loads(line) for line in mini_path.read_text(encoding="utf-8").splitlines()]
    for row in rows[:3]:  # a rarer spelling of a frequent tag
        row["tags"] = ["SANTÉ" if t == "santé" else t for t in row["tags"]]
    data = tmp_path / "variants.jsonl"
    data.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    result = train(data, out=tmp_path / "run", min_tag_count=3, tag_map={"santé": "Santé publique", "musique": ""})
    assert result.corpus.tag_merges.get("SANTÉ") == "santé"
    assert "Santé publique" in result.model.classes_
    assert not {"santé", "SANTÉ", "musique"} & set(result.model.classes_)
    with pytest.raises(DataError, match="no article has tags"):
        train(data, out=tmp_path / "none", tag_map={t: "" for r in rows for t in r["tags"]})


def test_a_folder_of_parquet_parts_trains_the_same_model_as_the_file(mini_path, tmp_path):
    import json as _json

    import numpy as np
    import pandas as pd

    from classifier import train

    records = [_json.loads(line) for line in mini_path.read_text(encoding="utf-8").splitlines() if line.strip()]
    parts = tmp_path / "parts"
    parts.mkdir()
    for i in range(0, len(records), 60):
        pd.DataFrame(records[i:i + 60]).to_parquet(parts / f"part-{i // 60:05d}.parquet")
    a = train(mini_path, out=tmp_path / "a", min_tag_count=3)
    b = train(parts, out=tmp_path / "b", min_tag_count=3)
    assert list(a.model.classes_) == list(b.model.classes_)
    np.testing.assert_array_equal(a.model.coef_, b.model.coef_)
    np.testing.assert_array_equal(a.model.thresholds_, b.model.thresholds_)
    assert b.manifest["training_data"]["articles"] == len(records)
    assert len(b.manifest["training_data"]["sha256"]) == 64


def _feedback_file(path, mini_path):
    """Three new articles tagged 'choix-de-la-rédaction' and a correction of the corpus's first article."""
    from classifier.corpus.feedback import append_event

    first = json.loads(mini_path.read_text(encoding="utf-8").splitlines()[0])
    for i in range(3):
        append_event(path, {"id": f"fb-{i}", "title": f"Un article {i}", "text": "La rédaction choisit ce sujet " * 5,
                            "accepted": [], "rejected": [], "added": ["choix-de-la-rédaction"]})
    append_event(path, {"id": first["id"], "title": first["title"], "text": first["text"],
                        "accepted": [first["tags"][0]], "rejected": first["tags"][1:],
                        "added": ["choix-de-la-rédaction"]})
    return first


def test_feedback_articles_join_the_training_data(tmp_path, mini_path, watched_reads):
    fb = tmp_path / "feedback.jsonl"
    first = _feedback_file(fb, mini_path)
    result = train(mini_path, out=tmp_path / "run", min_tag_count=3, feedback=fb)
    assert "choix-de-la-rédaction" in result.model.classes_
    assert len(result.corpus) == 150 - 1 + 4 and result.corpus.ids.count(first["id"]) == 1
    assert result.corpus.ids[-4:] == ["fb-0", "fb-1", "fb-2", first["id"]]
    assert result.corpus.tags[-1] == [first["tags"][0], "choix-de-la-rédaction"]
    used = result.manifest["training_data"]["feedback"]
    assert (used["articles"], used["events"], used["replaced"], used["skipped_lines"]) == (4, 4, 1, 0)
    assert watched_reads["most_alive"] <= 2  # still streamed: the feedback articles come as one more chunk


def test_train_feedback_on_the_command_line(tmp_path, mini_path):
    from typer.testing import CliRunner

    from classifier.cli import app

    fb = tmp_path / "feedback.jsonl"
    _feedback_file(fb, mini_path)
    done = CliRunner().invoke(app, ["train", str(mini_path), "--out", str(tmp_path / "run"), "--min-tag-count", "3",
                                    "--feedback", str(fb), "--quiet"])
    assert done.exit_code == 0, done.output
    assert "Used 4 feedback articles" in done.output and "1 replaced" in done.output


def test_an_empty_feedback_file_is_refused(tmp_path, mini_path):
    fb = tmp_path / "feedback.jsonl"
    fb.write_text('{"id": "x", "text": "cut')
    with pytest.raises(DataError, match="no feedback event"):
        train(mini_path, out=tmp_path / "run", min_tag_count=3, feedback=fb)


def test_the_manifest_and_summary_say_when_negatives_were_sampled(mini_path, tmp_path):
    from classifier.cli.training_output import train_summary

    capped = train(mini_path, out=tmp_path / "capped", solver="primal", min_tag_count=3, max_negatives=40)
    fits = capped.manifest["solver"]["fits"]
    assert 0 < fits["sampled_fits"] <= fits["fits"] and fits["largest_negative_weight"] > 1
    summary, lines = train_summary(capped, 3)
    assert summary["primal_fits"] == fits and any(line.startswith("Negatives sampled in") for line in lines)
    whole = train(mini_path, out=tmp_path / "whole", solver="primal", min_tag_count=3)
    assert whole.manifest["solver"]["fits"]["sampled_fits"] == 0
    assert not any(line.startswith("Negatives sampled") for line in train_summary(whole, 3)[1])
    assert "fits" not in train(mini_path, out=tmp_path / "dual", min_tag_count=3).manifest["solver"]
