"""The probe cases, by group: security, lost (nothing lost), silent (not silently wrong), bounded, input."""

from __future__ import annotations

import copy
import csv
import io
import json
import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

from _probes import CLEAN, Ctx, Verdict, _sessions, check, error, first, ok, probe, sha

TEXT = "Le gouvernement a présenté mercredi sa réforme des retraites devant les syndicats et le Parlement."


class _Payload:
    """Unpickling this runs a shell command that creates the probe's marker file."""

    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def _craft(ctx: Ctx, mutate) -> Path:
    """A copy of the base run whose model.joblib holds `mutate(payload)`, the manifest's hash recomputed."""
    import joblib

    from classifier import load_model
    from classifier.api import runs

    run = ctx.copy_base()
    payload = {"format": runs.FORMAT, "format_version": runs.FORMAT_VERSION, "model": load_model(run)}
    joblib.dump(mutate(payload), run / runs.MODEL_FILE)
    manifest = json.loads((run / runs.MANIFEST_FILE).read_text())
    manifest["model_sha256"] = sha(run / runs.MODEL_FILE)
    (run / runs.MANIFEST_FILE).write_text(json.dumps(manifest))
    return run


def _no_code(ctx: Ctx, verdict: Verdict) -> Verdict:
    return ("code", "the crafted payload ran") if ctx.marker.exists() else verdict


def _manifest(run: Path, **changes) -> None:
    path = run / "manifest.json"
    m = json.loads(path.read_text())
    m.update(changes)
    path.write_text(json.dumps(m))


# -- security ----------------------------------------------------------------------------------

def _payload_probe(name: str, what: str, mutate) -> None:
    def run(ctx: Ctx) -> Verdict:
        model = _craft(ctx, lambda p: mutate(p, _Payload(ctx.marker)))
        return _no_code(ctx, error(ctx.cli("predict", TEXT, "--model", model), "refused"))
    run.__name__ = name
    probe("security", what)(run)


def _replace(p, bad):
    p["model"] = bad
    return p


def _nested(p, bad):
    p["model"] = copy.copy(p["model"])
    p["model"].validation_ = {"micro_f1": bad}
    return p


def _object_array(p, bad):
    import numpy as np
    p["model"] = copy.copy(p["model"])
    p["model"].classes_ = np.array([bad], dtype=object)
    return p


def _beside(p, bad):
    p["extra"] = bad
    return p


_payload_probe("payload_as_model", "model.joblib is a pickle payload, manifest hash recomputed", _replace)
_payload_probe("payload_nested", "payload inside the model's attributes", _nested)
_payload_probe("payload_object_array", "payload in an object array", _object_array)
_payload_probe("payload_beside_model", "payload beside a valid model in the saved dict", _beside)


@probe("security", "evaluate --compare with a crafted model")
def payload_compare(ctx: Ctx) -> Verdict:
    bad = _craft(ctx, lambda p: _replace(p, _Payload(ctx.marker)))
    r = ctx.cli("evaluate", ctx.corpus, "--model", ctx.base, "--compare", bad, "--out", ctx.dir / "rep", "-q")
    return _no_code(ctx, error(r, "refused"))


@probe("security", "a stray pickle file in the run folder is never read")
def payload_stray_file(ctx: Ctx) -> Verdict:
    import joblib
    run = ctx.copy_base()
    joblib.dump(_Payload(ctx.marker), run / "extra.joblib")
    return _no_code(ctx, ok(ctx.cli("predict", TEXT, "--model", run)))


@probe("security", "manifest model_file pointing outside the run folder")
def model_file_outside(ctx: Ctx) -> Verdict:
    run = ctx.copy_base()
    shutil.copyfile(run / "model.joblib", ctx.dir / "elsewhere.joblib")
    _manifest(run, model_file="../elsewhere.joblib")
    return error(ctx.cli("predict", TEXT, "--model", run), "model_file")


@probe("security", "manifest model_file as an absolute path outside the run folder")
def model_file_absolute(ctx: Ctx) -> Verdict:
    run = ctx.copy_base()
    shutil.copyfile(run / "model.joblib", ctx.dir / "elsewhere.joblib")
    _manifest(run, model_file=str((ctx.dir / "elsewhere.joblib").resolve()))
    r = ctx.cli("predict", TEXT, "--model", run)
    return error(r, "model_file")


@probe("security", "model.joblib altered without updating the manifest's hash")
def hash_mismatch(ctx: Ctx) -> Verdict:
    run = ctx.copy_base()
    data = bytearray((run / "model.joblib").read_bytes())
    data[len(data) // 2] ^= 0xFF
    (run / "model.joblib").write_bytes(bytes(data))
    return error(ctx.cli("predict", TEXT, "--model", run), "model.joblib")


@probe("security", "manifest missing")
def manifest_missing(ctx: Ctx) -> Verdict:
    run = ctx.copy_base()
    (run / "manifest.json").unlink()
    return error(ctx.cli("predict", TEXT, "--model", run), "manifest.json")


@probe("security", "manifest not JSON")
def manifest_garbled(ctx: Ctx) -> Verdict:
    run = ctx.copy_base()
    (run / "manifest.json").write_text("{not json")
    return error(ctx.cli("predict", TEXT, "--model", run), "manifest.json")


@probe("security", "model.joblib truncated")
def model_truncated(ctx: Ctx) -> Verdict:
    run = ctx.copy_base()
    data = (run / "model.joblib").read_bytes()
    (run / "model.joblib").write_bytes(data[: len(data) // 3])
    return error(ctx.cli("predict", TEXT, "--model", run), "model.joblib")


@probe("security", "model.joblib empty")
def model_empty(ctx: Ctx) -> Verdict:
    run = ctx.copy_base()
    (run / "model.joblib").write_bytes(b"")
    return error(ctx.cli("predict", TEXT, "--model", run), "model.joblib")


@probe("security", "a model of another format version")
def old_format(ctx: Ctx) -> Verdict:
    run = ctx.copy_base()
    _manifest(run, format_version=1)
    return error(ctx.cli("predict", TEXT, "--model", run), "retrain")


@probe("security", "--model names a folder that does not exist")
def model_missing(ctx: Ctx) -> Verdict:
    return error(ctx.cli("predict", TEXT, "--model", ctx.dir / "nope"), "nope")


@probe("security", "a tag written as a formula in per_tag.csv")
def csv_formula_report(ctx: Ctx) -> Verdict:
    records = ctx.records()
    common = _most_common_tag(records)
    evil = '=HYPERLINK("http://evil.example","x")'
    for r in records:
        r["tags"] = [evil if t == common else t for t in r["tags"]]
    data = ctx.jsonl("evil.jsonl", records)
    first_r = ctx.cli("train", data, "--min-tag-count", 3, "--out", ctx.dir / "run", "-q")
    if first_r.code:
        return ok(first_r)
    r = ctx.cli("evaluate", data, "--model", ctx.dir / "run", "--out", ctx.dir / "rep", "-q")
    if (v := ok(r)) != CLEAN:
        return v
    cells = [c for row in csv.reader(io.StringIO((ctx.dir / "rep" / "per_tag.csv").read_text())) for c in row]
    live = [c for c in cells if c[:1] in ("=", "+", "-", "@") and not _number(c)]
    return check(not live, "wrong", f"formula cells left live: {live[:2]}")


@probe("security", "an id written as a formula in predict --format csv")
def csv_formula_predict(ctx: Ctx) -> Verdict:
    data = ctx.jsonl("ids.jsonl", [{"id": "=1+1", "text": TEXT}, {"id": "@SUM(A1)", "text": TEXT}])
    r = ctx.cli("predict", "--file", data, "--format", "csv", "--model", ctx.base)
    if (v := ok(r)) != CLEAN:
        return v
    cells = [c for row in csv.reader(io.StringIO(r.out)) for c in row]
    return check(not [c for c in cells if c[:1] in ("=", "@")], "wrong", f"live cells in {cells[:6]}")


def _number(cell: str) -> bool:
    try:
        float(cell)
        return True
    except ValueError:
        return False


def _most_common_tag(records: list[dict]) -> str:
    from collections import Counter
    return Counter(t for r in records for t in r["tags"]).most_common(1)[0][0]


# -- nothing lost ------------------------------------------------------------------------------

def _runs(ctx: Ctx) -> list[Path]:
    return sorted(p for p in ctx.artifacts.glob("*")
                  if p.is_dir() and not p.is_symlink() and not p.name.startswith("."))


def _runs_whole(ctx: Ctx) -> Verdict:
    for run in _runs(ctx):
        if not (run / "manifest.json").exists():
            return ("lost", f"{run.name} has no manifest")
        m = json.loads((run / "manifest.json").read_text())
        if m.get("model_sha256") != sha(run / m.get("model_file", "model.joblib")):
            return ("lost", f"{run.name}: its manifest describes another model")
    return CLEAN


@probe("lost", "two trainings started in the same second")
def same_second(ctx: Ctx) -> Verdict:
    procs = [ctx.start("train", ctx.corpus, "--min-tag-count", 3, "-q", stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE) for _ in range(2)]
    results = [p.communicate(timeout=ctx.timeout) for p in procs]
    if any(p.returncode for p in procs):
        return ("wrong", "a training failed: " + " | ".join(e[-200:] for _, e in results))
    runs = len(_runs(ctx))
    return first(check(runs == 2, "lost", f"{runs} run folders for 2 trainings"), _runs_whole(ctx))


@probe("lost", "train --out onto an existing run, without and with --force")
def out_existing(ctx: Ctx) -> Verdict:
    run = ctx.copy_base()
    before = sha(run / "model.joblib")
    refused = error(ctx.cli("train", ctx.corpus, "--min-tag-count", 3, "--out", run, "-q"), "--force")
    kept = check(sha(run / "model.joblib") == before, "lost", "the existing run was overwritten")
    forced = ok(ctx.cli("train", ctx.corpus, "--min-tag-count", 4, "--out", run, "--force", "-q"))
    return first(refused, kept, forced)


@probe("lost", "a full disk while saving keeps latest and the older run")
def full_disk(ctx: Ctx) -> Verdict:
    if (v := ok(ctx.cli("train", ctx.corpus, "--min-tag-count", 3, "-q"))) != CLEAN:
        return v
    latest = (ctx.artifacts / "latest").resolve()
    r = ctx.cli("train", ctx.corpus, "--min-tag-count", 3, "-q", fsize=20_000)
    after = ctx.cli("predict", TEXT)
    return first(error(r), check((ctx.artifacts / "latest").resolve() == latest, "lost", "latest moved or vanished"),
                 ok(after), _runs_whole(ctx))


@probe("lost", "an output folder that cannot be written fails before training")
def unwritable_out(ctx: Ctx) -> Verdict:
    blocker = ctx.write("file", "not a folder")
    r = ctx.cli("train", ctx.corpus, "--min-tag-count", 3, "--out", blocker / "run")
    return first(error(r, "file"), check("validation" not in r.text.lower(), "wrong", "it trained first"))


@probe("lost", "a training killed mid-way leaves no half-written run; the next one cleans up")
def killed_training(ctx: Ctx) -> Verdict:
    big = ctx.jsonl("big.jsonl", [dict(r, id=f"{r.get('id')}~{k}") for k in range(20) for r in ctx.records()])
    proc = ctx.start("train", big, "--min-tag-count", 3, "-q", stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(4)
    proc.kill()
    proc.wait()
    whole = _runs_whole(ctx)
    again = ok(ctx.cli("train", ctx.corpus, "--min-tag-count", 3, "-q"))
    leftovers = list(ctx.artifacts.glob(".*partial")) if ctx.artifacts.exists() else []
    return first(whole, again, check(not leftovers, "lost", f"left behind: {leftovers}"), _runs_whole(ctx))


def _kill_parent(ctx: Ctx, sig: int) -> Verdict:
    big = ctx.jsonl("big.jsonl", [dict(r, id=f"{r.get('id')}~{k}") for k in range(200) for r in ctx.records()])
    proc = ctx.start("predict", "--file", big, "--format", "jsonl", "--model", ctx.base,
                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(5)
    os.kill(proc.pid, sig)
    proc.wait()
    time.sleep(3)
    alive = [pid for pid, sid in _sessions() if sid == proc.pid]
    return check(not alive, "hang", f"{len(alive)} worker(s) outlived their parent")


@probe("lost", "SIGKILL of predict's parent: its workers die too")
def sigkill_workers(ctx: Ctx) -> Verdict:
    return _kill_parent(ctx, signal.SIGKILL)


@probe("lost", "SIGTERM of predict's parent: its workers die too")
def sigterm_workers(ctx: Ctx) -> Verdict:
    return _kill_parent(ctx, signal.SIGTERM)


@probe("lost", "import --out naming one of its inputs")
def import_onto_input(ctx: Ctx) -> Verdict:
    data = ctx.jsonl("in.jsonl", ctx.records())
    before = sha(data)
    r = ctx.cli("import", data, "--out", data, "-q")
    return first(error(r, "in.jsonl"), check(sha(data) == before, "lost", "the input was overwritten"))


@probe("lost", "a deeply nested JSON value at line 10 costs only that line")
def deep_json_line(ctx: Ctx) -> Verdict:
    records = ctx.records()[:30]
    lines = [json.dumps(r, ensure_ascii=False) for r in records]
    lines[9] = '{"id": "deep", "text": ' + "[" * 100_000 + "]" * 100_000 + ', "tags": ["x"]}'
    data = ctx.write("deep.jsonl", "\n".join(lines) + "\n")
    r = ctx.cli("import", data, "--out", ctx.dir / "out.jsonl", "-q")
    written = (ctx.dir / "out.jsonl").read_text().count("\n") if (ctx.dir / "out.jsonl").exists() else 0
    return first(ok(r), check(written == 29, "lost", f"{written} of 29 good records written"))


@probe("lost", "one page with 100,000-deep JSON-LD in a folder import")
def deep_jsonld_page(ctx: Ctx) -> Verdict:
    pages = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "pages"
    folder = ctx.dir / "pages"
    shutil.copytree(pages, folder)
    deep = "[" * 100_000 + "]" * 100_000
    ctx.write("pages/deep.html", f'<html><head><script type="application/ld+json">{deep}</script></head>'
              f"<body><h1>Titre</h1><p>{TEXT}</p><p>Sujets associés : Maroc - Politique</p></body></html>")
    r = ctx.cli("import", folder, "--out", ctx.dir / "out.jsonl", "-q")
    written = (ctx.dir / "out.jsonl").read_text().count("\n") if (ctx.dir / "out.jsonl").exists() else 0
    return first(ok(r), check(written >= 2, "lost", f"only {written} pages imported"))


@probe("lost", "one Windows-1252 line in a UTF-8 JSONL file")
def cp1252_line(ctx: Ctx) -> Verdict:
    records = ctx.records()[:40]
    lines = [json.dumps(r, ensure_ascii=False).encode("utf-8") for r in records]
    lines[5] = json.dumps({"id": "cp", "title": "Été", "text": "Déjà vu à Noël " * 20, "tags": ["société"]},
                          ensure_ascii=False).encode("cp1252")
    data = ctx.write("mixed.jsonl", b"\n".join(lines) + b"\n")
    r = ctx.cli("import", data, "--out", ctx.dir / "out.jsonl", "-q")
    if (v := ok(r)) != CLEAN:
        return v
    out = [json.loads(line) for line in (ctx.dir / "out.jsonl").read_text(encoding="utf-8").splitlines()]
    good = {r["id"]: r["title"] for r in records}
    garbled = [o["id"] for o in out if o["id"] in good and o["title"].split() != good[o["id"]].split()]
    return check(not garbled and len(out) >= 39, "lost", f"{len(garbled)} good titles garbled, {len(out)} written")
