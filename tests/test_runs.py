import errno
import json
import os

import joblib
import numpy as np
import pytest

from classifier import ModelError, load_articles, load_model, train
from classifier.api import runs as artifacts
from classifier.api.runs import MANIFEST_FILE, MODEL_FILE, save_model


def test_round_trip(trained, mini_path):
    m = load_model(trained.run_dir)
    texts = load_articles(mini_path).texts[:3]  # training keeps no texts
    assert np.allclose(m.decision_function(texts), trained.model.decision_function(texts), atol=1e-6)
    assert m.manifest_["tags_learned"] == len(m.classes_)


def test_latest_points_at_newest_run(mini_path, tmp_path, monkeypatch):
    monkeypatch.setenv("CLASSIFIER_ARTIFACTS", str(tmp_path / "root"))  # its own root: no other test's runs
    first = train(mini_path, min_tag_count=3)
    second = train(mini_path, min_tag_count=3, out=tmp_path / "elsewhere")
    assert artifacts.resolve_model_dir(None).resolve() == second.run_dir.resolve() != first.run_dir.resolve()
    (tmp_path / "root" / "latest").unlink()
    artifacts.point_latest(first.run_dir)
    assert artifacts.latest_run() == first.run_dir.resolve()


def test_manifest_fields(trained):
    m = json.loads((trained.run_dir / MANIFEST_FILE).read_text())
    for key in ("format_version", "versions", "training_data", "settings", "tags", "validation",
                "training_seconds", "model_sha256"):
        assert key in m
    assert m["training_data"]["articles"] == 150
    assert len(m["training_data"]["sha256"]) == 64
    assert {"scikit-learn", "python", "classifier"} <= set(m["versions"])
    some = next(iter(m["tags"].values()))
    assert {"support", "threshold"} <= set(some)


def copy_run(src, dst):
    dst.mkdir()
    for name in (MODEL_FILE, MANIFEST_FILE):
        (dst / name).write_bytes((src / name).read_bytes())
    return dst


def test_truncated_model_file(trained, tmp_path):
    run = copy_run(trained.run_dir, tmp_path / "run")
    data = (run / MODEL_FILE).read_bytes()
    (run / MODEL_FILE).write_bytes(data[: len(data) // 2])
    with pytest.raises(ModelError, match="truncated"):
        load_model(run)
    with pytest.raises(ModelError, match="cannot be read"):
        load_model(run, check_hash=False)


def test_other_format_version(trained, tmp_path):
    run = copy_run(trained.run_dir, tmp_path / "run")
    manifest = json.loads((run / MANIFEST_FILE).read_text())
    manifest["format_version"] = 99
    (run / MANIFEST_FILE).write_text(json.dumps(manifest))
    with pytest.raises(ModelError, match="format version 99"):
        load_model(run)


def test_foreign_and_missing_files(tmp_path):
    with pytest.raises(ModelError, match="no such model"):
        load_model(tmp_path / "nope")
    run = tmp_path / "foreign"
    run.mkdir()
    with pytest.raises(ModelError, match="manifest.json: missing"):
        load_model(run)
    (run / MANIFEST_FILE).write_text('{"hello": 1}')
    with pytest.raises(ModelError, match="not a manifest"):
        load_model(run)
    manifest = {"format": artifacts.FORMAT, "format_version": artifacts.FORMAT_VERSION, "model_file": MODEL_FILE}
    joblib.dump({"some": "dict"}, run / MODEL_FILE)
    (run / MANIFEST_FILE).write_text(json.dumps(manifest))
    with pytest.raises(ModelError, match="not a model saved by this tool"):
        load_model(run, check_hash=False)


def test_no_model_yet(tmp_path, monkeypatch):
    monkeypatch.setenv("CLASSIFIER_ARTIFACTS", str(tmp_path / "empty"))
    with pytest.raises(ModelError, match="classifier train"):
        load_model()


def test_crash_mid_write_keeps_previous_model(trained, tmp_path, monkeypatch):
    run = copy_run(trained.run_dir, tmp_path / "run")
    before = (run / MODEL_FILE).read_bytes()

    def boom(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(joblib, "dump", boom)
    with pytest.raises(OSError):
        save_model(trained.model, run, {})
    assert (run / MODEL_FILE).read_bytes() == before
    assert [p.name for p in run.iterdir() if p.name.startswith(".")] == []
    load_model(run)  # still loads


def test_an_interrupted_save_of_a_new_run_leaves_no_folder(trained, tmp_path, monkeypatch):
    from classifier.api import runs

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(runs, "write_json", interrupted)  # after the model file, before the manifest
    with pytest.raises(KeyboardInterrupt):
        save_model(trained.model, tmp_path / "new-run", {})
    assert list(tmp_path.iterdir()) == []  # neither the run nor its staging folder
    monkeypatch.undo()
    save_model(trained.model, tmp_path / "new-run", json.loads((trained.run_dir / MANIFEST_FILE).read_text()))
    assert sorted(p.name for p in (tmp_path / "new-run").iterdir()) == [MANIFEST_FILE, MODEL_FILE]
    load_model(tmp_path / "new-run")


def test_runs_saved_in_the_same_second_get_their_own_folders(trained, tmp_path, monkeypatch):
    from classifier.api import runs

    monkeypatch.setattr(runs, "new_run_dir", lambda root=None: next(names))
    names = iter([tmp_path / "run-a", tmp_path / "run-a", tmp_path / "run-b"])
    first = runs.save_new_run(trained.model, {})
    second = runs.save_new_run(trained.model, {})  # its first name is taken: it moves on
    assert (first, second) == (tmp_path / "run-a", tmp_path / "run-b")
    with pytest.raises(FileExistsError):
        save_model(trained.model, first, {}, exclusive=True)


def test_train_out_onto_an_existing_run_needs_force(mini_path, tmp_path):
    from classifier import DataError, train

    train(mini_path, out=tmp_path / "run", min_tag_count=3)
    with pytest.raises(DataError, match="already exists; give another --out, or --force"):
        train(mini_path, out=tmp_path / "run", min_tag_count=3)
    train(mini_path, out=tmp_path / "run", min_tag_count=4, force=True)
    assert load_model(tmp_path / "run").min_tag_count == 4


def test_latest_survives_a_failed_repoint(trained, tmp_path, monkeypatch):
    from classifier.api import runs

    runs.point_latest(trained.run_dir, root=tmp_path)
    monkeypatch.setattr(runs.os, "symlink", lambda *a, **k: (_ for _ in ()).throw(OSError("no links")))

    def full_disk(*args, **kwargs):
        raise OSError("No space left on device")

    monkeypatch.setattr(runs, "atomic_write_text", full_disk)
    with pytest.raises(OSError):
        runs.point_latest(tmp_path / "other", root=tmp_path)
    assert runs.latest_run(tmp_path) == trained.run_dir.resolve()  # the old pointer is still there


@pytest.mark.parametrize("name", ["../other/model.joblib", "/etc/passwd", "sub/model.joblib", 3])
def test_a_manifest_naming_a_model_outside_its_folder_is_refused(trained, tmp_path, name):
    run = copy_run(trained.run_dir, tmp_path / "run")
    manifest = json.loads((run / MANIFEST_FILE).read_text())
    manifest["model_file"] = name
    (run / MANIFEST_FILE).write_text(json.dumps(manifest))
    with pytest.raises(ModelError, match="is not a file of the run folder"):
        load_model(run)


def test_an_unwritable_output_fails_before_any_training(mini_path, tmp_path, monkeypatch):
    from classifier import DataError, TagModel, train

    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    monkeypatch.setattr(TagModel, "fit", lambda *a, **k: pytest.fail("trained before checking the output"))
    with pytest.raises(DataError, match="runs cannot be written here"):
        train(mini_path, out=blocker / "run", min_tag_count=3)
    monkeypatch.setenv("CLASSIFIER_ARTIFACTS", str(blocker / "artifacts"))
    with pytest.raises(DataError, match="set CLASSIFIER_ARTIFACTS"):
        train(mini_path, min_tag_count=3)


class _Payload:
    """What a crafted model file carries: unpickling it would run a shell command."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        import os

        return (os.system, (f"touch {self.marker}",))


def _craft(trained, tmp_path, mutate):
    """A copy of the trained run whose model.joblib holds `mutate(payload dict)`, with the manifest's
    hash recomputed as an attacker would."""
    import hashlib

    run = copy_run(trained.run_dir, tmp_path / "crafted")
    payload = {"format": artifacts.FORMAT, "format_version": artifacts.FORMAT_VERSION, "model": trained.model}
    joblib.dump(mutate(payload), run / MODEL_FILE)
    manifest = json.loads((run / MANIFEST_FILE).read_text())
    manifest["model_sha256"] = hashlib.sha256((run / MODEL_FILE).read_bytes()).hexdigest()
    (run / MANIFEST_FILE).write_text(json.dumps(manifest))
    return run


@pytest.mark.parametrize("where", ["instead of the model", "inside the model", "in an object array", "beside it"])
def test_a_crafted_model_never_runs_code(trained, tmp_path, where):
    import copy

    marker = tmp_path / "pwned"

    def mutate(payload):
        if where == "instead of the model":
            payload["model"] = _Payload(marker)
        elif where == "inside the model":
            payload["model"] = copy.copy(trained.model)
            payload["model"].validation_ = {"micro_f1": _Payload(marker)}
        elif where == "in an object array":
            payload["model"] = copy.copy(trained.model)
            payload["model"].classes_ = np.array([_Payload(marker)], dtype=object)
        else:
            payload["extra"] = _Payload(marker)
        return payload

    run = _craft(trained, tmp_path, mutate)
    with pytest.raises(ModelError, match=r"refused: the file asks for (posix|os)\.system"):
        load_model(run)
    assert not marker.exists()
    (tmp_path / "ok").mkdir()
    untouched = _craft(trained, tmp_path / "ok", lambda payload: payload)
    assert load_model(untouched).classes_.tolist() == trained.model.classes_.tolist()  # a real model loads


def test_unfinished_saves_of_killed_trainings_are_removed_and_reported(mini_path, tmp_path):
    import subprocess
    import sys

    from classifier import train

    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    stale = tmp_path / f".run-old.{int(dead.stdout)}.x1y2.partial"
    live = tmp_path / f".run-now.{os.getpid()}.a1b2.partial"
    for folder in (stale, live):
        folder.mkdir()
        (folder / MODEL_FILE).write_bytes(b"half")
    result = train(mini_path, out=tmp_path / "run", min_tag_count=3)
    assert not stale.exists() and live.exists()  # a save still running is left alone
    assert any(str(stale) in note and "killed" in note for note in result.notes)


@pytest.mark.parametrize("code", [errno.EFBIG, errno.ENOSPC])
def test_a_run_that_cannot_be_written_says_why_and_leaves_latest_and_no_partial_run(trained, mini_path, tmp_path,
                                                                                    monkeypatch, code):
    from classifier import WriteError
    from classifier.api import runs

    monkeypatch.setenv("CLASSIFIER_ARTIFACTS", str(tmp_path / "root"))
    first = train(mini_path, min_tag_count=3)

    def full(obj, path, *args, **kwargs):
        open(path, "wb").write(b"half a model")
        raise OSError(code, os.strerror(code))

    monkeypatch.setattr(joblib, "dump", full)
    with pytest.raises(WriteError, match=rf"the run could not be written \(model\.joblib: {os.strerror(code)}: .*\); "
                                         r"nothing of it was left and `latest` still names"):
        train(mini_path, min_tag_count=3)
    assert runs.latest_run() == first.run_dir.resolve()
    assert sorted(p.name for p in (tmp_path / "root").iterdir()) == ["latest", first.run_dir.name]
    load_model()  # the older run, whole
    with pytest.raises(WriteError, match=r"the run could not be written .*each of its files that was not rewritten"):
        save_model(trained.model, first.run_dir, {})  # an existing run, rewritten in place
    load_model(first.run_dir)


def test_section_column_auto_reads_the_manifest_and_falls_back_for_older_runs(trained):
    model = load_model(trained.run_dir)
    assert model.manifest_["training_data"]["columns"] == {"text_col": "text", "title_col": "title",
                                                            "section_col": "section"}
    assert artifacts.section_column(model, "rubrique") == "rubrique"  # given wins
    assert artifacts.section_column(model, None) is None
    model.manifest_["training_data"]["columns"]["section_col"] = None  # trained with --section-col ''
    assert artifacts.section_column(model, "auto") is None
    del model.manifest_["training_data"]["columns"]  # saved before manifests named the columns
    assert artifacts.section_column(model, "auto") == "section"
    assert artifacts.section_column(None, "auto") == "section"
