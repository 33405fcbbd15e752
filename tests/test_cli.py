import csv
import io
import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from classifier.cli.app import app

runner = CliRunner()
README = Path(__file__).resolve().parent.parent / "README.md"


def run(*args, input=None):
    return runner.invoke(app, list(args), input=input)


@pytest.fixture(scope="module")
def run_dir(trained):
    return str(trained.run_dir)


def test_train_json_summary(mini_path, tmp_path):
    out = tmp_path / "run"
    r = run("train", str(mini_path), "--out", str(out), "--min-tag-count", "3", "--quiet", "--format", "json")
    assert r.exit_code == 0, r.output
    summary = json.loads(r.stdout)
    assert summary["articles"] == 150 and summary["tags_learned"] > 0
    assert (out / "model.joblib").exists() and (out / "manifest.json").exists()


def test_train_with_squared_hinge_loss(mini_path, tmp_path):
    out = tmp_path / "run"
    r = run("train", str(mini_path), "--out", str(out), "--min-tag-count", "3", "--loss", "squared_hinge",
            "--quiet", "--format", "json")
    assert r.exit_code == 0, r.output
    assert json.loads((out / "manifest.json").read_text())["settings"]["loss"] == "squared_hinge"
    bad = run("train", str(mini_path), "--out", str(tmp_path / "x"), "--loss", "hinge", "--quiet")
    assert bad.exit_code != 0 and "hinge" in bad.output


def test_cli_choices_match_the_model():
    """The CLI spells its choices out so that start-up need not import the model; keep them in step."""
    from classifier.cli.options import Language, Loss, Solver, ThresholdRule
    from classifier.model import LOSSES, SOLVERS
    from classifier.model.thresholds import RULES
    from classifier.text.normalize import LANGUAGES

    assert {m.value for m in Loss} == set(LOSSES)
    assert {m.value for m in Solver} == set(SOLVERS)
    assert {m.value for m in ThresholdRule} == set(RULES)
    assert {m.value for m in Language} == set(LANGUAGES)


def test_train_defaults_are_the_model_defaults():
    import typer.main

    from classifier import TagModel

    options = {p.name: p.default for p in typer.main.get_command(app).commands["train"].params}
    model = TagModel().get_params()
    for name in ("language", "min_tag_count", "loss", "alpha", "threshold_rule", "fbr", "min_tags", "min_share",
                 "share_min_support", "title_weight"):
        assert options[name] == model[name], name


def test_train_table_summary(mini_path, tmp_path):
    r = run("train", str(mini_path), "--out", str(tmp_path / "r"), "--min-tag-count", "3", "--quiet")
    assert r.exit_code == 0, r.output
    assert "Learned" in r.stdout and "left out" in r.stdout and "micro-F1" in r.stdout


def test_train_says_how_many_near_duplicates_it_grouped(mini_path, tmp_path):
    rows = [json.loads(line) for line in mini_path.read_text(encoding="utf-8").splitlines()]
    doubled = tmp_path / "doubled.jsonl"
    doubled.write_text("".join(json.dumps({**r, "id": f"{r['id']}-{k}"}) + "\n" for k in (1, 2) for r in rows),
                       encoding="utf-8")
    r = run("train", str(doubled), "--out", str(tmp_path / "r"), "--min-tag-count", "6", "--quiet")
    assert r.exit_code == 0, r.output
    line = next(line for line in r.stdout.splitlines() if line.startswith("Near-duplicates:"))
    found, groups = map(int, re.match(r"Near-duplicates: (\d+) articles repeat another, grouped into (\d+) groups",
                                      line).groups())
    assert found >= 150 and 140 <= groups <= found
    manifest = json.loads((tmp_path / "r" / "manifest.json").read_text(encoding="utf-8"))
    assert (manifest["near_duplicates"], manifest["near_duplicate_groups"]) == (found, groups)
    assert manifest["solver"]["path"] == "dual"


def test_ids_a_typo_stops_and_no_id_field_is_numbered_by_line_with_a_warning(mini_path, run_dir, tmp_path):
    rows = [json.loads(line) for line in mini_path.read_text(encoding="utf-8").splitlines()]
    bare = tmp_path / "bare.jsonl"
    bare.write_text("".join(json.dumps({k: v for k, v in r.items() if k != "id"}) + "\n" for r in rows),
                    encoding="utf-8")
    r = run("train", str(bare), "--out", str(tmp_path / "r"), "--min-tag-count", "3", "--quiet")
    assert r.exit_code == 0, r.output
    assert f"warning: {bare}: 150 of 150 articles have no 'id' field, so each is named by its line" in r.output
    assert json.loads((tmp_path / "r" / "manifest.json").read_text())["training_data"]["numbered_by_line"] == 150
    p = run("predict", "--model", run_dir, "--file", str(bare), "--format", "jsonl", "--quiet")
    assert p.exit_code == 0, p.output
    assert [json.loads(line)["id"] for line in p.stdout.splitlines()][:3] == ["1", "2", "3"]
    assert "150 of 150 articles have no 'id' field" in p.stderr
    ok = run("predict", "--model", run_dir, "--file", str(mini_path), "--format", "jsonl", "--quiet")
    assert ok.exit_code == 0 and "warning" not in ok.stderr
    for command in (["train", str(mini_path), "--out", str(tmp_path / "t")], ["predict", "--model", run_dir, "--file",
                                                                             str(mini_path)]):
        typo = run(*command, "--id-col", "ids", "--quiet")
        assert typo.exit_code == 1 and len(typo.output.strip().splitlines()) == 1, typo.output
        assert re.match(rf"error: {re.escape(str(mini_path))}:1: no field 'ids' \(the --id-col\); fields are 'id', "
                        r".*name the id column with --id-col", typo.output), typo.output


def test_predict_text_table(run_dir):
    r = run("predict", "Le ministre de la santé face au virus", "--model", run_dir)
    assert r.exit_code == 0, r.output
    assert "santé" in r.stdout and "yes" in r.stdout


def test_predict_min_share_drops_weak_tags(run_dir):
    text = "Le ministre de la santé face au virus; les élections aux USA et le président"
    loose = json.loads(run("predict", text, "--model", run_dir, "--format", "json").stdout)[0]
    strict = run("predict", text, "--model", run_dir, "--format", "json", "--min-share", "0.9")
    assert strict.exit_code == 0, strict.output
    strict = json.loads(strict.stdout)[0]
    best = max(loose["probability"].values())  # the share rule reads calibrated probabilities
    assert set(strict["tags"]) <= set(loose["tags"]) and strict["tags"]
    from classifier.api.runs import load_model

    model = load_model(run_dir)
    support = dict(zip(model.classes_, model.tag_stories_))  # near-duplicates counted once
    exempt = {t for t, n in support.items() if n < model.share_min_support}
    assert all(strict["probability"][t] >= 0.9 * best or t in exempt for t in strict["tags"])
    # the tags the share rule drops score under the cut, so the scores and the decisions still agree
    assert all((s >= 0.5) == (t in strict["tags"]) for t, s in strict["scores"].items()) or "note" in strict
    assert set(loose["tags"]) - exempt - set(strict["tags"])  # the share cut did drop a tag here
    bad = run("predict", text, "--model", run_dir, "--min-share", "1.5")
    assert bad.exit_code != 0


def test_predict_stdin_json(run_dir):
    r = run("predict", "--model", run_dir, "--format", "json", input="Élections aux USA: le président")
    assert r.exit_code == 0, r.output
    data = json.loads(r.stdout)
    assert data[0]["tags"] and len(data[0]["scores"]) >= 5


def test_predict_corpus_jsonl_is_score_py_format(run_dir, mini_path):
    r = run("predict", "--model", run_dir, "--file", str(mini_path), "--format", "jsonl", "--top-k", "2")
    assert r.exit_code == 0, r.output
    lines = [json.loads(line) for line in r.stdout.splitlines()]
    assert len(lines) == 150
    first = lines[0]
    assert first["id"] == "orangesum-4" or first["id"].startswith("orangesum-")
    assert 1 <= len(first["tags"]) <= 2 and len(first["scores"]) >= 5


def test_predict_plain_text_file_and_csv(run_dir, tmp_path):
    p = tmp_path / "article.txt"
    p.write_text("La police enquête sur un vol", encoding="utf-8")
    r = run("predict", "--model", run_dir, "--file", str(p), "--format", "csv")
    assert r.exit_code == 0, r.output
    assert r.stdout.splitlines()[0] == "id,tags,scores"
    assert r.stdout.splitlines()[1].startswith("article,")


def test_predict_threshold_option(run_dir):
    r = run("predict", "texte", "--model", run_dir, "--threshold", "0.999", "--format", "json")
    assert r.exit_code == 0
    first = json.loads(r.stdout)[0]
    assert len(first["tags"]) == 1 and "min_tags=1" in first["note"]  # the at-least-one guarantee, said


def _jsonl(run_dir, mini_path, *options):
    r = run("predict", "--model", run_dir, "--file", str(mini_path), "--format", "jsonl", "--quiet", *options)
    assert r.exit_code == 0, r.output
    return [json.loads(line) for line in r.stdout.splitlines()]


def test_predict_threshold_decides_every_listed_tag_scoring_at_least_it(run_dir, mini_path):
    for line in _jsonl(run_dir, mini_path, "--threshold", "0.1"):
        assert [t for t, s in line["scores"].items() if s >= 0.1] == line["tags"] or "note" in line, line
        assert set(line["probability"]) == set(line["scores"])


def test_predict_top_k_1_gives_the_highest_scored_tag(run_dir, mini_path):
    full = _jsonl(run_dir, mini_path)
    for one, line in zip(_jsonl(run_dir, mini_path, "--top-k", "1"), full):
        best = max(line["scores"], key=line["scores"].get)
        assert one["tags"] == [best] == [next(iter(line["scores"]))], (one, line)


def test_predict_table_names_its_columns(run_dir):
    r = run("predict", "Le ministre de la santé face au virus", "--model", run_dir, "--threshold", "0.3")
    assert r.exit_code == 0, r.output
    lines = r.stdout.splitlines()
    assert lines[0] == "(decided: score >= 0.3; probability: calibrated)"
    assert lines[1].split() == ["tag", "score", "decided", "probability"]
    decided = [line.split()[1] for line in lines[2:] if " yes " in line]
    assert decided and all(float(s) >= 0.3 for s in decided)


@pytest.mark.parametrize("args,message", [
    (["predict", "--model", "/nonexistent/run", "x"], "no such model"),
    (["predict", "--file", "/nonexistent.txt"], "no such file"),
    (["predict", "   "], "empty"),
    (["train", "/nonexistent.jsonl"], "no such file"),
    (["train", "data.docx"], "unknown file type"),
])
def test_bad_input_gives_one_line_error(args, message, run_dir):
    r = run(*args)
    assert r.exit_code == 1
    assert message in r.output
    assert "Traceback" not in r.output


def test_bad_files(tmp_path, run_dir):
    empty = tmp_path / "e.jsonl"
    empty.write_text("")
    r = run("train", str(empty), "--quiet")
    assert r.exit_code == 1 and "empty" in r.output
    latin = tmp_path / "l.txt"
    latin.write_bytes("café".encode("latin-1"))
    r = run("predict", "--model", run_dir, "--file", str(latin), "--format", "json")
    assert r.exit_code == 0, r.output  # read as Windows-1252, as `import` reads pages
    binary = tmp_path / "b.txt"
    binary.write_bytes(b"\x00\x01caf\xe9")
    r = run("predict", "--model", run_dir, "--file", str(binary))
    assert r.exit_code == 1 and "binary" in r.output
    truncated = tmp_path / "run"
    truncated.mkdir()
    for name in ("manifest.json", "model.joblib"):
        (truncated / name).write_bytes((Path(run_dir) / name).read_bytes()[:100])
    r = run("predict", "x", "--model", str(truncated))
    assert r.exit_code == 1 and "manifest.json" in r.output


def test_help_lists_commands_and_readme_uses_them():
    r = run("--help")
    assert r.exit_code == 0
    commands = set(re.findall(r"│ (\w+)\s", r.stdout))
    assert {"train", "predict", "evaluate", "import", "stats"} <= commands
    readme = README.read_text(encoding="utf-8")
    for command in ("train", "predict", "evaluate", "import", "stats"):
        assert f"classifier {command}" in readme
    for option in ("--format", "--top-k", "--threshold", "--model", "--file"):
        assert option in readme
        assert option in run("predict", "--help").stdout


def test_ci_runs_the_readme_test_command():
    readme = README.read_text(encoding="utf-8")
    blocks = re.findall(r"```bash\n(.*?)\n```", readme, re.S)
    assert len(blocks) >= 2
    ci = (README.parent / ".ci" / "run").read_text(encoding="utf-8")
    setup, _, test = blocks[1].strip().rpartition(" && ")
    assert setup in ci and test in ci


def test_evaluate_writes_report_and_json(run_dir, mini_path, tmp_path):
    out = tmp_path / "eval"
    r = run("evaluate", str(mini_path), "--model", run_dir, "--out", str(out), "--quiet", "--format", "json")
    assert r.exit_code == 0, r.output
    summary = json.loads(r.stdout)
    assert 0 < summary["micro_f1"] <= 1
    for name in ("report.html", "metrics.json", "per_tag.csv"):
        assert (out / name).exists()


def test_evaluate_table_compare_and_learning_curve(run_dir, mini_path, tmp_path):
    r = run("evaluate", str(mini_path), "--model", run_dir, "--out", str(tmp_path / "e"), "--quiet",
            "--compare", run_dir, "--learning-curve", "--train", str(mini_path))
    assert r.exit_code == 0, r.output
    assert "delta" in r.stdout and "+0.0000" in r.stdout and "learning curve" in r.stdout


def test_evaluate_compare_json_gives_both_views_labelled(run_dir, mini_path, tmp_path):
    r = run("evaluate", str(mini_path), "--model", run_dir, "--out", str(tmp_path / "e"), "--quiet",
            "--compare", run_dir, "--format", "json")
    assert r.exit_code == 0, r.output
    out = json.loads(r.stdout)
    c = out["comparison"]
    assert c["a"] == c["b"] == out["compared_with"] == out["model"]
    assert c["all_gold_tags"]["micro_f1"] == {"a": out["all_gold_tags"]["micro_f1"],
                                              "b": out["all_gold_tags"]["micro_f1"], "delta": 0.0}
    assert c["known_tags"]["macro_f1"] == {"a": out["macro_f1"], "b": out["macro_f1"], "delta": 0.0}


def test_evaluate_cross_validation(run_dir, mini_path, tmp_path):
    r = run("evaluate", str(mini_path), "--model", run_dir, "--cv", "3", "--quiet", "--out", str(tmp_path))
    assert r.exit_code == 0, r.output
    assert "3-fold" in r.stdout and "macro_f1" in r.stdout
    assert json.loads((tmp_path / "cross_validation.json").read_text())["folds"] == 3


def test_evaluate_on_unlabeled_data_fails_clearly(run_dir, tmp_path):
    p = tmp_path / "u.jsonl"
    p.write_text('{"id": 1, "text": "un article"}\n', encoding="utf-8")
    r = run("evaluate", str(p), "--model", run_dir, "--quiet")
    assert r.exit_code == 1 and "no field 'tags'" in r.output
    q = tmp_path / "v.jsonl"
    q.write_text('{"id": 1, "text": "un article", "tags": []}\n', encoding="utf-8")
    r = run("evaluate", str(q), "--model", run_dir, "--quiet")
    assert r.exit_code == 1 and "nothing to evaluate" in r.output


def test_import_and_stats_commands(tmp_path):
    pages = Path(__file__).parent / "fixtures" / "pages"
    out = tmp_path / "site.jsonl"
    r = run("import", str(pages), "--out", str(out), "--quiet")
    assert r.exit_code == 0, r.output
    assert "imported 6" in r.stdout and "no tags: 1" in r.stdout and "windows-1252" in r.stdout
    r = run("import", str(pages), "--out", str(out), "--quiet", "--format", "json", "--allow-untagged")
    assert json.loads(r.stdout)["imported"] == 7
    r = run("stats", str(out), "--format", "json")
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["articles"] == 7
    r = run("stats", str(out))
    assert "articles" in r.stdout and "near-duplicates" in r.stdout


def test_stats_shows_progress_unless_quiet(mini_path):
    r = run("stats", str(mini_path), "--format", "json")
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["articles"] == 150
    for label in ("Reading articles", "Vectorising", "Duplicates: MinHash", "Duplicates: LSH bands"):
        assert label in r.stderr
    quiet = run("stats", str(mini_path), "--format", "json", "--quiet")
    assert quiet.exit_code == 0 and quiet.stderr == "" and json.loads(quiet.stdout) == json.loads(r.stdout)


def test_import_bad_input(tmp_path):
    r = run("import", str(tmp_path / "nope"), "--out", str(tmp_path / "o.jsonl"))
    assert r.exit_code == 1 and "no such file" in r.output
    r = run("import", str(tmp_path), "--out", str(tmp_path / "o.jsonl"), "--dedupe", "maybe")
    assert r.exit_code == 2 and "dedupe" in r.output  # a misused option
    (tmp_path / "empty.jsonl").write_bytes(b"")
    r = run("import", str(tmp_path / "empty.jsonl"), "--out", str(tmp_path / "o.jsonl"))
    assert r.exit_code == 1 and "nothing imported from" in r.output and "Traceback" not in r.output
    assert not (tmp_path / "o.jsonl").exists()


def test_train_warns_about_shared_articles(mini_path, tmp_path):
    r = run("train", str(mini_path), "--out", str(tmp_path / "r"), "--min-tag-count", "3", "--quiet",
            "--test", str(mini_path))
    assert r.exit_code == 0, r.output
    assert "near-duplicates" in r.output
    manifest = json.loads((tmp_path / "r" / "manifest.json").read_text(encoding="utf-8"))
    assert "near-duplicates" in manifest["leakage_check"][0]


def test_train_on_a_broken_line_names_it_or_skips_and_counts_it(mini_path, tmp_path):
    lines = mini_path.read_text(encoding="utf-8").splitlines()
    broken = tmp_path / "broken.jsonl"
    broken.write_text("\n".join(lines[:120] + ['{"id": "x", "text": oops'] + lines[120:]) + "\n", encoding="utf-8")
    r = run("train", str(broken), "--out", str(tmp_path / "r1"), "--min-tag-count", "3", "--quiet")
    assert r.exit_code == 1 and "broken.jsonl:121: invalid JSON" in r.output and "Traceback" not in r.output
    assert not (tmp_path / "r1").exists()
    r = run("train", str(broken), "--out", str(tmp_path / "r2"), "--min-tag-count", "3", "--quiet",
            "--on-error", "skip", "--format", "json")
    assert r.exit_code == 0, r.output
    summary = json.loads(r.stdout)
    assert summary["articles"] == 150 and summary["skipped"] == 1


@pytest.mark.parametrize("fmt", ["json", "jsonl", "csv", "table"])
def test_predict_corpus_output_is_whole_in_every_format(run_dir, mini_path, fmt):
    r = run("predict", "--model", run_dir, "--file", str(mini_path), "--format", fmt)
    assert r.exit_code == 0, r.output
    if fmt == "json":
        assert len(json.loads(r.stdout)) == 150
    elif fmt == "jsonl":
        assert len([json.loads(line) for line in r.stdout.splitlines()]) == 150
    elif fmt == "csv":
        rows = list(csv.reader(io.StringIO(r.stdout)))
        assert rows[0] == ["id", "tags", "scores"] and len(rows) == 151
    else:
        assert r.stdout.count("\n# ") + r.stdout.startswith("# ") == 150


def test_predict_and_evaluate_name_the_run_they_used(run_dir, mini_path, tmp_path):
    r = run("predict", "--model", run_dir, "Le Maroc et Israël")
    assert r.exit_code == 0 and f"model: {Path(run_dir).resolve()}" in r.stderr
    assert "model:" not in run("predict", "--model", run_dir, "Le Maroc", "--quiet").stderr
    r = run("predict", "--model", run_dir, "Le Maroc et Israël", "--format", "json", "--quiet")
    assert [p["model"] for p in json.loads(r.stdout)] == [str(Path(run_dir).resolve())]
    r = run("predict", "--model", run_dir, "--file", str(mini_path), "--format", "jsonl", "--quiet")
    assert {"id", "tags", "scores"} <= set(json.loads(r.stdout.splitlines()[0])) and '"model"' not in r.stdout
    r = run("evaluate", str(mini_path), "--model", run_dir, "--out", str(tmp_path), "--quiet", "--format", "json")
    assert json.loads(r.stdout)["model"] == str(Path(run_dir).resolve())


def test_lone_surrogates_are_repaired_and_reported_by_every_command(run_dir, mini_path, tmp_path):
    data = tmp_path / "s.jsonl"
    data.write_text(mini_path.read_text(encoding="utf-8")
                    + '{"id": "s\\ud800", "title": "x\\udfff", "text": "bad \\ud800 char", "tags": ["a\\ud800"]}\n',
                    encoding="utf-8")
    said = "repaired 1 record(s): a lone UTF-16 surrogate"
    for args in (("predict", "--model", run_dir, "--file", str(data), "--format", "jsonl"), ("stats", str(data))):
        r = run(*args)
        assert r.exit_code == 0 and "Traceback" not in r.output, r.output
        assert said in r.output and f"{data}:151" in r.output
    r = run("import", str(data), "--out", str(tmp_path / "o.jsonl"), "--quiet")
    assert r.exit_code == 0 and "repaired 1 record(s)" in r.stdout, r.output
    r = run("train", str(data), "--out", str(tmp_path / "r"), "--min-tag-count", "3", "--quiet", "--format", "json")
    assert r.exit_code == 0, r.output
    assert any(f"{data}:151" in w for w in json.loads(r.stdout)["warnings"])


def test_a_full_disk_while_saving_a_run_is_one_line_and_keeps_latest(mini_path, tmp_path, monkeypatch):
    import errno

    import joblib

    from classifier.api.runs import latest_run

    monkeypatch.setenv("CLASSIFIER_ARTIFACTS", str(tmp_path / "root"))
    assert run("train", str(mini_path), "--min-tag-count", "3", "--quiet").exit_code == 0
    before = latest_run()

    def full(obj, path, *args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(joblib, "dump", full)
    r = run("train", str(mini_path), "--min-tag-count", "3", "--quiet")
    assert r.exit_code == 1 and "Traceback" not in r.output and r.output.count("\n") == 1, r.output
    assert "the run could not be written (model.joblib: No space left on device: the disk is full)" in r.output
    assert latest_run() == before and len(list((tmp_path / "root").iterdir())) == 2


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs Linux's /dev/full")
def test_predictions_that_cannot_be_written_fail_instead_of_being_cut_silently(trained):
    from classifier import WriteError, predict
    from classifier.cli.options import Format
    from classifier.cli.output import PredictionWriter

    writer = PredictionWriter(Format.jsonl, headed=True)
    with open("/dev/full", "w") as full:  # every write fails: No space left on device
        writer.out = full
        with pytest.raises(WriteError, match="standard output: the predictions could not be written "
                                             r"\(No space left on device\); it is cut short"):
            writer.write(predict(trained.model, ["Le Maroc et Israël"]))


def test_a_write_cut_short_by_a_size_limit_is_an_error_not_a_silent_truncation(tmp_path):
    """A large buffered write to stdout that a file size limit cuts short reports success in CPython;
    the writer must notice."""
    import resource
    import signal
    import subprocess
    import sys

    code = ("from classifier.cli.output import PredictionWriter; from classifier.cli.options import Format; "
            "from classifier.types import Prediction; "
            "PredictionWriter(Format.jsonl, headed=True).write([Prediction(str(i), ['a'], {'a': 0.9}) "
            "for i in range(20000)])")

    def limited():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (10000, 10000))

    with open(tmp_path / "out.jsonl", "w") as out:
        done = subprocess.run([sys.executable, "-c", code], stdout=out, stderr=subprocess.PIPE, text=True,
                              preexec_fn=limited, timeout=60)
    assert done.returncode != 0 and "could not be written (File too large)" in done.stderr, done.stderr


def test_any_other_os_error_is_one_line_naming_its_file(capsys):
    import typer

    from classifier.cli.output import run as run_action

    def blocked():
        raise NotADirectoryError(20, "Not a directory", "corpus.jsonl/out")

    with pytest.raises(typer.Exit) as caught:
        run_action(blocked)
    assert caught.value.exit_code == 1 and capsys.readouterr().err == "error: corpus.jsonl/out: Not a directory\n"


EXPLAINED = "Le ministre de la santé face au virus; les élections aux USA et le président"


def test_predict_explain_table_shows_the_json_evidence_beside_each_tag(run_dir):
    r = run("predict", EXPLAINED, "--model", run_dir, "--explain", "3", "--quiet")
    assert r.exit_code == 0, r.output
    lines = r.stdout.splitlines()
    assert lines[1].split() == ["tag", "score", "decided", "probability", "evidence"]
    data = json.loads(run("predict", EXPLAINED, "--model", run_dir, "--explain", "3", "--format", "json").stdout)[0]
    assert list(data["evidence"]) == list(data["scores"])
    from classifier import load_model

    terms = set(load_model(run_dir).features_.terms(EXPLAINED))
    for line, (tag, words) in zip(lines[2:], data["evidence"].items()):
        assert line.startswith(tag + " ")
        shown = re.findall(r"(\w+) ([+-]\d+\.\d{3})(?=,| /|$)", line.split("  ")[-1])
        assert [w for w, _ in shown] == [e["word"] for e in words]
        assert all(abs(float(v) - e["weight"]) <= 5e-4 for (_, v), e in zip(shown, words))
        assert {e["word"] for e in words} <= terms and len(words) <= 6
        up = [e["weight"] for e in words if e["weight"] > 0]
        assert [e["weight"] for e in words[:len(up)]] == sorted(up, reverse=True)
    assert any(" / " in line for line in lines[2:]) or all(e["weight"] > 0 for w in data["evidence"].values()
                                                               for e in w)


def test_predict_explain_in_jsonl_and_csv(run_dir, mini_path):
    lines = _jsonl(run_dir, mini_path, "--explain", "2")
    assert len(lines) == 150
    for line in lines:
        assert set(line["evidence"]) == set(line["scores"])
        assert all(set(e) == {"word", "weight"} for words in line["evidence"].values() for e in words)
    assert "evidence" not in _jsonl(run_dir, mini_path)[0]
    r = run("predict", "--model", run_dir, "--file", str(mini_path), "--format", "csv", "--explain", "2", "--quiet")
    assert r.exit_code == 0, r.output
    rows = list(csv.reader(io.StringIO(r.stdout)))
    assert rows[0] == ["id", "tags", "scores", "evidence"] and len(rows) == 151
    assert json.loads(rows[1][3]) == lines[0]["evidence"]


@pytest.mark.parametrize("args", [["--explain", "-1"], ["--explain", "2", "--dask", "local", "--out", "x"]])
def test_predict_explain_misused(run_dir, mini_path, args):
    r = run("predict", "--model", run_dir, "--file", str(mini_path), *args)
    assert r.exit_code == 2, r.output


def test_words_line():
    from classifier.cli.output import words_line

    assert words_line([("frontière", 0.2141), ("migrants", 0.15), ("football", -0.0412)]) == \
        "frontière +0.214, migrants +0.150 / football -0.041"
    assert words_line([("football", -0.0412)]) == "- / football -0.041"
    assert words_line([]) == "-"


def test_the_section_column_is_learned_and_read_at_prediction_unless_left_out(sectioned_path, tmp_path):
    from classifier import load_articles, load_model
    from classifier.model.explain import feature_names

    data = str(sectioned_path)
    common = ("--min-tag-count", "3", "--quiet", "--format", "json")
    assert run("train", data, "--out", str(tmp_path / "with"), *common).exit_code == 0
    assert run("train", data, "--out", str(tmp_path / "without"), "--section-col", "", *common).exit_code == 0
    terms = set(feature_names(load_model(tmp_path / "with")))
    assert "section_santé_publique" in terms  # (section_monde, in 71% of the texts, is past max_df 0.5)
    assert not any(t.startswith("section_") for t in feature_names(load_model(tmp_path / "without")))

    def santé_scores(*section):
        r = run("predict", "--model", str(tmp_path / "with"), "--file", data, "--format", "jsonl", *section)
        assert r.exit_code == 0, r.output
        return [json.loads(line)["scores"].get("santé", 0.0) for line in r.stdout.splitlines()]

    read, left_out = santé_scores(), santé_scores("--section-col", "")
    assert len(read) == len(left_out) == 150 and read != left_out
    health = [i for i, tags in enumerate(load_articles(sectioned_path).tags) if "santé" in tags]
    assert sum(read[i] for i in health) > sum(left_out[i] for i in health)  # the section raised its tag


def test_predict_reads_the_section_column_the_model_learned_from(sectioned_path, tmp_path):
    rows = [json.loads(line) for line in sectioned_path.read_text(encoding="utf-8").splitlines()]
    data = tmp_path / "rubriques.jsonl"
    data.write_text("".join(json.dumps({**{k: v for k, v in r.items() if k != "section"}, "rubrique": r["section"]},
                                       ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    model = str(tmp_path / "run")
    r = run("train", str(data), "--out", model, "--section-col", "rubrique", "--min-tag-count", "3", "--quiet")
    assert r.exit_code == 0, r.output

    def scores(*option):
        r = run("predict", "--model", model, "--file", str(data), "--format", "jsonl", "--quiet", *option)
        assert r.exit_code == 0, r.output
        return [json.loads(line)["scores"] for line in r.stdout.splitlines()]

    by_default = scores()
    assert by_default == scores("--section-col", "rubrique")  # auto: the manifest's column
    assert by_default != scores("--section-col", "")
