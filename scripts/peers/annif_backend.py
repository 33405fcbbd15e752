#!/usr/bin/env python3
"""Annif 1.4 (one backend, or an ensemble of backends), for scripts/benchmark.py (runs in its own venv
with annif[omikuji,fasttext]; drives Annif's own command line).

usage: annif_backend.py tune TRAIN VAL OUT_JSON BACKEND LANG     -> limit, threshold from `annif optimize` on VAL
       annif_backend.py fit TRAIN PARAMS_JSON MODEL_DIR BACKEND LANG
       annif_backend.py predict MODEL_DIR PARAMS_JSON TEST PRED_JSONL BACKEND LANG
BACKEND: tfidf, omikuji, fasttext, svc or ensemble (tfidf + svc + omikuji, equal weights). The tags
become a vocabulary of URIs; articles (title + body) become Annif's JSONL corpus. Offline, NLTK's
`punkt_tab` data cannot be downloaded: an empty tokenizers/punkt_tab/english folder under NLTK_DATA
lets Annif's analyzer run (NLTK then tokenises with default Punkt parameters); NLTK 3.9.4 opens the
folder's four parameter files, so they are created empty too.
Predictions come from one `annif index` process over the test file (start-up included), asked for
ten suggestions per article; the tags are those within the tuned limit and above the tuned threshold.
"""

import json
import os
import re
import shutil
import subprocess
import sys
import urllib.parse
from pathlib import Path

from common import read, text

SNOWBALL = {"fr": "french", "en": "english"}
SOURCES = {"ensemble": ["tfidf", "svc", "omikuji"]}
SETTINGS = {  # Annif's documented starting points for each backend
    "tfidf": {},
    "omikuji": {},
    "svc": {"min_df": "2", "ngram": "1"},
    "fasttext": {"dim": "500", "lr": "0.25", "epoch": "30", "loss": "hs", "chunksize": "24"},
}


def uri(tag):
    return "http://example.org/tag/" + urllib.parse.quote(tag, safe="")


def annif(model_dir, *args):
    env = {**os.environ, "ANNIF_DATADIR": str(model_dir / "data"), "ANNIF_PROJECTS": str(model_dir / "projects.cfg"),
           "NLTK_DATA": str(model_dir / "nltk_data")}
    exe = str(Path(sys.executable).with_name("annif"))
    done = subprocess.run([exe, *args], env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"annif {' '.join(args[:2])} failed: {(done.stderr or done.stdout).strip()[-800:]}")
    return done.stdout


def write_corpus(rows, path, with_subjects=True):
    with open(path, "w", encoding="utf-8") as f:
        for r in rows:
            doc = {"document_id": str(r["id"]), "text": text(r)}
            if with_subjects:
                if not r.get("tags"):
                    continue
                doc["subjects"] = [{"uri": uri(t)} for t in r["tags"]]
            f.write(json.dumps(doc, ensure_ascii=False) + "\n")


def setup(model_dir, rows, backend, lang):
    """A fresh Annif home: vocabulary of the training tags, project configuration, empty punkt_tab."""
    if model_dir.exists():
        shutil.rmtree(model_dir)
    punkt = model_dir / "nltk_data" / "tokenizers" / "punkt_tab" / "english"
    punkt.mkdir(parents=True)
    for name in ("collocations.tab", "sent_starters.txt", "abbrev_types.txt", "ortho_context.tab"):
        (punkt / name).touch()
    tags = sorted({t for r in rows for t in r["tags"]})
    vocab = model_dir / "vocab.tsv"
    vocab.write_text("".join(f"<{uri(t)}>\t{t}\n" for t in tags), encoding="utf-8")
    analyzer = f"snowball({SNOWBALL[lang]})"
    sections = []
    for name in SOURCES.get(backend, []) + [backend]:
        opts = {"name": name, "language": lang, "backend": name, "analyzer": analyzer, "vocab": "tags",
                "limit": "100", **SETTINGS.get(name, {})}
        if name in SOURCES:
            opts["sources"] = ",".join(SOURCES[name])
            del opts["analyzer"]
        sections.append(f"[{name}]\n" + "".join(f"{k}={v}\n" for k, v in opts.items()))
    (model_dir / "projects.cfg").write_text("\n".join(sections), encoding="utf-8")
    annif(model_dir, "load-vocab", "tags", str(vocab), "--language", lang)
    corpus = model_dir / "train.jsonl"
    write_corpus(rows, corpus)
    for name in SOURCES.get(backend, [backend]):  # an ensemble is not trained itself, only its sources
        annif(model_dir, "train", name, str(corpus), "--jobs", "2")
    corpus.unlink()  # not part of the model


def main():
    cmd = sys.argv[1]
    backend, lang = sys.argv[-2], sys.argv[-1]
    if cmd == "tune":
        model_dir = Path(sys.argv[4]).with_suffix(".tune")
        setup(model_dir, read(sys.argv[2]), backend, lang)
        val = model_dir / "val.jsonl"
        write_corpus(read(sys.argv[3]), val)
        out = annif(model_dir, "optimize", backend, str(val), "--jobs", "2")
        best = re.search(r"Best\s+F1 score \(doc avg\):\s*([\d.]+)\s+Limit:\s*(\d+)\s+Threshold:\s*([\d.]+)", out)
        if not best:
            raise SystemExit(f"could not read annif optimize's output: {out[-400:]}")
        json.dump({"backend": backend, "val_f1_doc_avg": float(best.group(1)), "limit": int(best.group(2)),
                   "threshold": float(best.group(3))}, open(sys.argv[4], "w"))
        shutil.rmtree(model_dir)
    elif cmd == "fit":
        setup(Path(sys.argv[4]), read(sys.argv[2]), backend, lang)
    elif cmd == "predict":
        model_dir, params = Path(sys.argv[2]), json.load(open(sys.argv[3]))
        rows = read(sys.argv[4])
        docs = Path(sys.argv[5]).with_suffix(".annif-in.jsonl")
        write_corpus(rows, docs, with_subjects=False)
        raw = Path(sys.argv[5]).with_suffix(".annif-out.jsonl")
        annif(model_dir, "index", backend, str(docs), "--limit", "10", "--threshold", "0", "--no-include-doc",
              "--force", "-O", str(raw))
        vocab_lines = (model_dir / "vocab.tsv").read_text(encoding="utf-8").splitlines()
        label_of = {u.strip("<>"): t for u, t in (line.split("\t", 1) for line in vocab_lines)}
        with open(raw, encoding="utf-8") as f, open(sys.argv[5], "w", encoding="utf-8") as out:
            for r, line in zip(rows, f):
                hits = [(label_of[h["uri"]], float(h["score"])) for h in json.loads(line)["results"]]
                hits.sort(key=lambda kv: -kv[1])
                tags = [t for t, s in hits[:params["limit"]] if s >= params["threshold"]]
                out.write(json.dumps({"id": r["id"], "tags": tags, "scores": dict(hits)}, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
