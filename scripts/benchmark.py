#!/usr/bin/env python3
"""Train and test this project and its peers on one train/test pair with one protocol; write a table
(JSON + Markdown) and a plot.

usage: python scripts/benchmark.py --train TRAIN.jsonl --test TEST.jsonl [--min-train 5] [--language fr]
       [--name orangesum] [--systems ours,ours-sh,svc,fasttext,annif-omikuji,...] [--work DIR] [--out DIR]
       [--reuse-tuning]   (resume: keep a peer's finished tuning step found under --work)
       python scripts/benchmark.py --combine NAME OUT_DIR RESULTS.json...   (one table and plot from several runs)

Protocol: a validation split (10% of train: `hash_fold(id, 10) == 0`) is carved out for the
systems that tune (they tune on it, never on test, then refit on all of train); training tags are those
with at least --min-train articles; every prediction file is scored by ../shared/bench/score.py. Each
peer runs in its own virtual environment under --work (created on first use), so the project's own
dependencies stay clean. Times are wall-clock of whole processes; peak RSS is the process tree's
largest resident set. A system that fails to install or run is reported with its error, not dropped.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

from classifier.corpus.reader import iter_records
from classifier.evaluation.splits import hash_fold

ROOT = Path(__file__).resolve().parent.parent
SCORER = ROOT.parent / "shared" / "bench" / "score.py"
PEERS = ROOT / "scripts" / "peers"
COLD_TEXT = "Le gouvernement annonce un plan pour la santé et l'économie après l'épidémie."


def read(path: Path) -> list[dict]:
    """Every record of a corpus file, through the package's one reader."""
    return [record for _, record in iter_records(path)]


def write(path: Path, rows: list[dict]) -> Path:
    with open(path, "w", encoding="utf-8") as f:
        f.writelines(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)
    return path


def run(cmd: list[str], **kw) -> tuple[float, int]:
    """Run `cmd`; return (wall seconds, peak RSS in MB of the process and its children)."""
    probe = ("import resource,subprocess,sys;r=subprocess.run(sys.argv[1:]);"
             "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,file=sys.stderr);sys.exit(r.returncode)")
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", probe, *cmd], capture_output=True, text=True, **kw)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(map(str, cmd[:3]))} ... failed: {done.stderr.strip()[-600:]}")
    rss = int(done.stderr.strip().splitlines()[-1]) // 1024
    return seconds, rss


def venv(work: Path, name: str, packages: list[str]) -> Path:
    env = work / "venvs" / name
    python = env / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(env)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "-q", *packages], check=True, capture_output=True)
    return python


def size_mb(path: Path) -> float:
    if path.is_dir():
        return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / 1e6
    return path.stat().st_size / 1e6


def score(test: Path, pred: Path, train: Path, min_train: int) -> dict:
    out = subprocess.run([sys.executable, str(SCORER), str(test), str(pred), "--train", str(train),
                          "--min-train", str(min_train), "--json"], capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def system_ours(a, work: Path, files: dict, extra: tuple[str, ...] = (), tag: str = "ours") -> dict:
    model = work / tag
    cli = [sys.executable, "-m", "classifier"]
    env = {**os.environ, "CLASSIFIER_ARTIFACTS": str(work / "artifacts")}
    train_s, rss = run(cli + ["train", str(files["train"]), "--out", str(model), "--quiet", "--language",
                              a.language, "--min-tag-count", str(a.min_train), *extra], cwd=ROOT, env=env)
    pred = work / f"{tag}.pred.jsonl"
    with open(pred, "w") as out:
        start = time.perf_counter()
        subprocess.run(cli + ["predict", "--model", str(model), "--file", str(files["test"]), "--format", "jsonl",
                              "--quiet"], cwd=ROOT, env=env, stdout=out, check=True)
        predict_s = time.perf_counter() - start
    cold, _ = run(cli + ["predict", COLD_TEXT, "--model", str(model)], cwd=ROOT, env=env)
    return {"train_s": train_s, "tuning_s": 0.0, "tuning_note": "thresholds from leave-one-out scores inside train",
            "predict_s": predict_s, "cold_s": cold, "rss_mb": rss, "model_mb": size_mb(model / "model.joblib"),
            "pred": pred}


def system_svc(a, work: Path, files: dict) -> dict:
    model = work / "svc.joblib"
    script = str(PEERS / "sklearn_svc.py")
    train_s, rss = run([sys.executable, script, "fit", str(files["train"]), str(model)])
    pred = work / "svc.pred.jsonl"
    predict_s, _ = run([sys.executable, script, "predict", str(model), str(files["test"]), str(pred)])
    return {"train_s": train_s, "tuning_s": 0.0, "predict_s": predict_s, "rss_mb": rss,
            "model_mb": size_mb(model), "pred": pred}


def tuned_peer(a, work: Path, files: dict, name: str, packages: list[str], model_file: str, *,
               script: str | None = None, args: tuple[str, ...] = ()) -> dict:
    """A peer script with tune (on the validation split), fit (on all of train) and predict steps.
    `name` names the venv and the files; `script` (default: name) the script under scripts/peers;
    `args` are appended to each step's command line."""
    python = str(venv(work, script or name, packages))
    script = str(PEERS / f"{script or name}.py")
    params = work / f"{name}.params.json"
    recorded = work / f"{name}.tuning_s"
    if a.reuse_tuning and params.exists() and recorded.exists():  # resume a run stopped after its tuning
        tuning_s = float(recorded.read_text())
    else:
        tuning_s, _ = run([python, script, "tune", str(files["fit"]), str(files["val"]), str(params), *args])
        recorded.write_text(f"{tuning_s:.1f}\n")
    model = work / model_file
    train_s, rss = run([python, script, "fit", str(files["train"]), str(params), str(model), *args])
    pred = work / f"{name}.pred.jsonl"
    predict_s, _ = run([python, script, "predict", str(model), str(params), str(files["test"]), str(pred), *args])
    return {"train_s": train_s, "tuning_s": tuning_s, "predict_s": predict_s, "rss_mb": rss,
            "model_mb": size_mb(model), "pred": pred, "settings": json.loads(params.read_text())}


def system_fasttext(a, work: Path, files: dict) -> dict:
    return tuned_peer(a, work, files, "fasttext_ova", ["fasttext-numpy2", "numpy"], "fasttext.bin")


def system_libmultilabel(a, work: Path, files: dict) -> dict:
    # libmultilabel 0.10.0's train_thresholding calls np.sum(y, 2) on a sparse matrix, which scipy >= 1.14
    # refuses ("axis out of range"); scipy 1.13 runs it.
    return tuned_peer(a, work, files, "libmultilabel_linear", ["libmultilabel", "scipy<1.14"], "libmultilabel.pkl")


def system_annif(backend: str):
    def fit(a, work: Path, files: dict) -> dict:
        return tuned_peer(a, work, files, f"annif_{backend}", ["annif[omikuji,fasttext]==1.4.*"], f"annif_{backend}",
                          script="annif_backend", args=(backend, a.language))
    return fit


def system_ours_squared_hinge(a, work: Path, files: dict) -> dict:
    return system_ours(a, work, files, ("--loss", "squared_hinge"), "ours-sh")


TUNING_GRID = [(loss, alpha) for loss in ("ridge", "squared_hinge") for alpha in (0.15, 0.3, 0.6)]
TUNING_SHARES = (0.0, 0.2)  # --min-share (off, and the default): tried on every fit's validation scores
TUNING_TITLE_WEIGHT = 2  # --title-weight: one more fit, at the best loss and alpha


def system_ours_tuned(a, work: Path, files: dict) -> dict:
    """This project with its settings chosen like the peers' settings: each loss and alpha trained on
    the fit part and its validation predictions scored by score.py (micro-F1 + macro-F1,
    LibMultiLabel's criterion) with and without the share-of-best cut; then the best loss and alpha
    once more with the title counted twice; the best of all retrained on all of train. Tuning time
    is the wall time of those fits and predictions."""
    cli = [sys.executable, "-m", "classifier"]
    env = {**os.environ, "CLASSIFIER_ARTIFACTS": str(work / "artifacts")}
    tuning_s, val = 0.0, {}

    def try_fit(loss: str, alpha: float, title_weight: int) -> None:
        nonlocal tuning_s
        key = f"{loss}-{alpha}-t{title_weight}"
        model = work / f"ours-tune-{key}"
        seconds, _ = run(cli + ["train", str(files["fit"]), "--out", str(model), "--quiet", "--language", a.language,
                                "--min-tag-count", str(a.min_train), "--loss", loss, "--alpha", str(alpha),
                                "--title-weight", str(title_weight)], cwd=ROOT, env=env)
        tuning_s += seconds
        for share in TUNING_SHARES:
            pred = work / f"ours-tune-{key}-s{share}.val.jsonl"
            start = time.perf_counter()
            with open(pred, "w") as out:
                subprocess.run(cli + ["predict", "--model", str(model), "--file", str(files["val"]), "--format",
                                      "jsonl", "--quiet", "--min-share", str(share)], cwd=ROOT, env=env, stdout=out,
                               check=True)
            tuning_s += time.perf_counter() - start
            s = score(files["val"], pred, files["fit"], a.min_train)
            val[(loss, alpha, title_weight, share)] = {"micro_f1": s["micro_f1"], "macro_f1": s["macro_f1"]}

    def best() -> tuple:
        return max(val, key=lambda k: val[k]["micro_f1"] + val[k]["macro_f1"])

    for loss, alpha in TUNING_GRID:
        try_fit(loss, alpha, 1)
    loss, alpha, _, _ = best()
    try_fit(loss, alpha, TUNING_TITLE_WEIGHT)
    loss, alpha, title_weight, share = best()
    r = system_ours(a, work, files, ("--loss", loss, "--alpha", str(alpha), "--title-weight", str(title_weight),
                                     "--min-share", str(share)), "ours-tuned")
    return {**r, "tuning_s": tuning_s,
            "settings": {"loss": loss, "alpha": alpha, "title_weight": title_weight, "min_share": share,
                         "validation": {"-".join(map(str, k)): v for k, v in val.items()}}}


SYSTEMS = {"ours": ("this project", system_ours),
           "ours-sh": ("this project, --loss squared_hinge", system_ours_squared_hinge),
           "ours-tuned": ("this project, settings chosen on val", system_ours_tuned),
           "svc": ("TF-IDF + LinearSVC, threshold 0", system_svc),
           "fasttext": ("fastText ova (epochs, threshold tuned on val)", system_fasttext),
           **{f"annif-{b}": (label, system_annif(b)) for b, label in [
               ("tfidf", "Annif tfidf"), ("omikuji", "Annif omikuji"), ("fasttext", "Annif fasttext"),
               ("svc", "Annif svc"), ("ensemble", "Annif ensemble (tfidf+svc+omikuji)")]},
           "libmultilabel": ("LibMultiLabel linear + thresholding (C tuned on val)", system_libmultilabel)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--train", required=True, type=Path)
    ap.add_argument("--test", required=True, type=Path)
    ap.add_argument("--min-train", type=int, default=5)
    ap.add_argument("--language", default="fr")
    ap.add_argument("--name", default=None)
    ap.add_argument("--systems", default=",".join(SYSTEMS))
    ap.add_argument("--work", type=Path, default=ROOT / "artifacts" / "benchmark")
    ap.add_argument("--out", type=Path, default=ROOT / "artifacts" / "benchmark")
    ap.add_argument("--reuse-tuning", action="store_true",
                    help="resume: skip a peer's tuning when its params and tuning time are already under --work")
    a = ap.parse_args()
    # The systems run from the project's folder: relative paths must not change meaning there.
    a.train, a.test, a.work, a.out = (p.resolve() for p in (a.train, a.test, a.work, a.out))
    name = a.name or a.train.parent.name
    work = a.work / name
    work.mkdir(parents=True, exist_ok=True)
    rows = read(a.train)
    counts = Counter(t for r in rows for t in set(r["tags"]))
    keep = lambda r: {**r, "tags": [t for t in r["tags"] if counts[t] >= a.min_train]}  # noqa: E731
    in_val = lambda r: hash_fold(r["id"], 10) == 0  # noqa: E731
    files = {"train": write(work / "train.jsonl", [keep(r) for r in rows]),
             "fit": write(work / "fit.jsonl", [keep(r) for r in rows if not in_val(r)]),
             "val": write(work / "val.jsonl", [keep(r) for r in rows if in_val(r)]),
             "test": a.test}
    n_test = len(read(a.test))
    results = []
    for key in a.systems.split(","):
        label, fn = SYSTEMS[key]
        print(f"[{name}] {label} ...", file=sys.stderr, flush=True)
        try:
            r = fn(a, work, files)
            s = score(a.test, r.pop("pred"), a.train, a.min_train)
            results.append({"system": label, "micro_f1": s["micro_f1"], "macro_f1": s["macro_f1"],
                            "samples_f1": s["samples_f1"], "p_at_1": s.get("p_at_1"),
                            "train_s": round(r["train_s"], 1), "tuning_s": round(r["tuning_s"], 1),
                            "docs_per_s": round(n_test / r["predict_s"]),
                            "cold_s": round(r.get("cold_s", 0), 2) or None,
                            "rss_mb": r["rss_mb"], "model_mb": round(r["model_mb"], 1),
                            **({"settings": r["settings"]} if "settings" in r else {})})
        except Exception as exc:  # a peer that fails is reported, never dropped
            results.append({"system": label, "error": " ".join(str(exc).split())[-400:]})
        a.out.mkdir(parents=True, exist_ok=True)  # after every system: a long run that stops keeps its rows
        (a.out / f"{name}.json").write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    report(results, name, a.out)


def report(results: list[dict], name: str, out: Path) -> None:
    """Markdown table (printed and written) and bar plot of F1 for `results`."""
    out.mkdir(parents=True, exist_ok=True)
    cols = ["system", "micro_f1", "macro_f1", "samples_f1", "p_at_1", "train_s", "tuning_s", "docs_per_s",
            "cold_s", "rss_mb", "model_mb"]
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for r in results:
        if "error" in r:
            lines.append(f"| {r['system']} | failed: {r['error']} |" + " |" * (len(cols) - 2))
        else:
            lines.append("| " + " | ".join("–" if r.get(c) is None else str(r[c]) for c in cols) + " |")
    table = "\n".join(lines)
    (out / f"{name}.md").write_text(table + "\n")
    print(table)
    ok = [r for r in results if "error" not in r]
    if ok:
        import matplotlib

        matplotlib.use("Agg")
        from matplotlib.figure import Figure

        fig = Figure(figsize=(8, 0.5 * len(ok) + 1.5), layout="constrained")
        ax = fig.add_subplot()
        y = range(len(ok))
        ax.barh([i + 0.2 for i in y], [r["micro_f1"] for r in ok], 0.4, label="micro-F1")
        ax.barh([i - 0.2 for i in y], [r["macro_f1"] for r in ok], 0.4, label="macro-F1")
        ax.set_yticks(list(y), [r["system"] for r in ok])
        ax.set_xlim(0, 1)
        ax.set_title(f"{name}: test-split F1 (scored by score.py)")
        ax.legend()
        fig.savefig(out / f"{name}.png")


def combine() -> None:
    """`benchmark.py --combine NAME OUT_DIR RESULTS.json...`: one table and plot from several runs."""
    name, out, *paths = sys.argv[2:]
    results = [r for path in paths for r in json.loads(Path(path).read_text())]
    report(results, name, Path(out))


if __name__ == "__main__":
    combine() if sys.argv[1:2] == ["--combine"] else main()
