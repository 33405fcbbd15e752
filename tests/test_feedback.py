"""The editors' feedback file (classifier/corpus/feedback.py): durable appends from several processes,
a torn line reported and skipped, and the corrected articles it gives."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from classifier.corpus.feedback import (
    append_event,
    check_event,
    corrected_articles,
    final_tags,
    load_corrections,
    read_feedback,
)
from classifier.errors import DataError, StorageError, WriteError

WRITER = """
import sys
from classifier.corpus.feedback import append_event
path, name, limit = sys.argv[1], sys.argv[2], int(sys.argv[3])
for i in range(limit):
    append_event(path, {"id": f"{name}-{i}", "title": "Titre " * 20, "text": "Le texte de l'article. " * 40,
                        "accepted": ["santé"], "rejected": ["sport"], "added": ["virus"]})
"""


def event(i, **kw):
    return {"id": str(i), "title": f"Titre {i}", "text": f"Texte {i}", "accepted": ["a"], "rejected": [],
            "added": [], **kw}


def test_append_then_read(tmp_path):
    path = tmp_path / "sub" / "feedback.jsonl"
    for i in range(3):
        append_event(path, event(i, model="run-1"))
    data = path.read_bytes()
    assert data.count(b"\n") == 3 and data.endswith(b"\n")
    fb = read_feedback(path)
    assert [e["id"] for e in fb.events] == ["0", "1", "2"] and fb.skipped == []
    assert fb.events[0]["model"] == "run-1"  # other fields are kept


def test_a_torn_last_line_is_reported_and_skipped_and_the_next_event_starts_a_line(tmp_path):
    path = tmp_path / "feedback.jsonl"
    append_event(path, event(1))
    with open(path, "ab") as handle:
        handle.write(b'{"id": "2", "title": "cut sh')
    fb = read_feedback(path)
    assert [e["id"] for e in fb.events] == ["1"]
    assert len(fb.skipped) == 1 and fb.skipped[0].where.endswith(":2") and "unfinished" in fb.skipped[0].reason
    append_event(path, event(3))
    fb = read_feedback(path)
    assert [e["id"] for e in fb.events] == ["1", "3"] and len(fb.skipped) == 1


def test_a_damaged_line_is_skipped_with_its_reason(tmp_path):
    path = tmp_path / "feedback.jsonl"
    path.write_text('{"id": "1", "text": "a"}\n[1, 2]\n{"title": "no id", "text": "b"}\nnot json\n')
    fb = read_feedback(path)
    assert [e["id"] for e in fb.events] == ["1"]
    assert [s.where.rsplit(":", 1)[1] for s in fb.skipped] == ["2", "3", "4"]
    assert "JSON object" in fb.skipped[0].reason and "'id'" in fb.skipped[1].reason


@pytest.mark.parametrize("bad, message", [
    ({"text": "a"}, "'id'"), ({"id": "", "text": "a"}, "'id'"), ({"id": "1", "text": "  ", "title": ""}, "no text"),
    ({"id": "1", "text": 3}, "'text'"), ({"id": "1", "text": "a", "added": [1]}, "every tag must be text"),
    ({"id": "1", "text": "a", "section": ["Sport"]}, "'section'"),
    ("not an object", "JSON object"),
])
def test_a_bad_event_is_refused(tmp_path, bad, message):
    with pytest.raises(DataError, match=message):
        append_event(tmp_path / "f.jsonl", bad)
    assert not (tmp_path / "f.jsonl").exists() or (tmp_path / "f.jsonl").read_bytes() == b""


def test_an_unwritable_file_is_a_storage_error(tmp_path):
    (tmp_path / "dir.jsonl").mkdir()
    with pytest.raises(StorageError, match="dir.jsonl") as caught:
        append_event(tmp_path / "dir.jsonl", event(1))
    assert isinstance(caught.value, WriteError)  # one kind of failed write for callers to catch


def test_final_tags_and_latest_event_wins():
    assert final_tags({"accepted": ["a", "b"], "added": ["c", "a"], "rejected": ["b"]}) == ["a", "c"]
    events = [check_event(e) for e in (
        event(1, accepted=["x"]), event(2, accepted=["y"]), event(1, accepted=["z"], added=["w"], rejected=["z"]))]
    fixed = corrected_articles(events)
    assert fixed.ids == ["2", "1"] and fixed.tags == [["y"], ["w"]] and fixed.events == 3
    assert fixed.texts == ["Titre 2\nTexte 2", "Titre 1\nTexte 1"]  # joined as the corpus reader joins them


def test_load_corrections(tmp_path):
    path = tmp_path / "f.jsonl"
    append_event(path, event(" 7 ", title="  Le titre  ", text=" Le corps "))
    fixed = load_corrections(path)
    assert fixed.ids == ["7"] and fixed.texts == ["Le titre\nLe corps"]
    append_event(path, event(8, title="Titre", text="Corps", section="Sport"))
    assert load_corrections(path).texts[-1] == "Titre section_sport\nCorps"  # as the corpus reader reads it


def test_a_missing_file_is_a_data_error(tmp_path):
    with pytest.raises(DataError, match="cannot be read"):
        read_feedback(tmp_path / "none.jsonl")


def _writer(path, name, limit):
    return subprocess.Popen([sys.executable, "-c", WRITER, str(path), name, str(limit)], stderr=subprocess.PIPE)


def test_two_writers_at_once_leave_every_line_whole(tmp_path):
    path = tmp_path / "feedback.jsonl"
    procs = [_writer(path, name, 150) for name in ("a", "b")]
    for p in procs:
        assert p.wait(timeout=120) == 0, p.stderr.read().decode()
    fb = read_feedback(path)
    assert fb.skipped == [] and len(fb.events) == 300
    assert {e["id"] for e in fb.events} == {f"{n}-{i}" for n in "ab" for i in range(150)}


def test_a_writer_killed_mid_stream_leaves_only_whole_lines(tmp_path):
    path = tmp_path / "feedback.jsonl"
    proc = _writer(path, "k", 100_000)
    deadline = time.monotonic() + 60
    try:
        while time.monotonic() < deadline and (not path.exists() or path.stat().st_size < 200_000):
            time.sleep(0.01)
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    data = path.read_bytes()
    lines = data.split(b"\n")
    assert data.endswith(b"\n") and len(lines) > 50
    for line in lines[:-1]:
        json.loads(line)  # every line is whole
    fb = read_feedback(path)
    assert fb.skipped == [] and len(fb.events) == len(lines) - 1
    assert [e["id"] for e in fb.events] == [f"k-{i}" for i in range(len(fb.events))]
