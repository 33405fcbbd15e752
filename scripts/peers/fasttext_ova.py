#!/usr/bin/env python3
"""fastText supervised with -loss ova, for scripts/benchmark.py (runs in its own venv with fasttext-numpy2).

usage: fasttext_ova.py tune TRAIN VAL OUT_JSON      -> epochs, learning rate, threshold best on VAL
       fasttext_ova.py fit TRAIN PARAMS_JSON MODEL  -> final model on TRAIN with the tuned epochs
       fasttext_ova.py predict MODEL PARAMS_JSON TEST PRED_JSONL
Articles are JSONL (id, title, text, tags). Text: title + body, lower-cased, one line.
"""

import json
import re
import sys
import tempfile

import fasttext
from common import read

EPOCHS = (10, 25, 50)
RATES = (0.1, 0.3, 0.6)
THRESHOLDS = (0.05, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5)


def clean(r):
    text = ((r.get("title") or "") + " " + (r.get("text") or "")).lower()
    return re.sub(r"\s+", " ", text).strip()


def label(tag):
    return "__label__" + tag.replace(" ", "_")


def write_train(rows, path):
    with open(path, "w", encoding="utf-8") as f:
        for r in rows:
            if r["tags"]:
                f.write(" ".join(label(t) for t in r["tags"]) + " " + clean(r) + "\n")


def fit(rows, epochs, lr):
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as tmp:
        pass
    write_train(rows, tmp.name)
    return fasttext.train_supervised(tmp.name, loss="ova", epoch=epochs, lr=lr, wordNgrams=2, bucket=200000, minCount=2,
                                     dim=100, thread=2, seed=0, verbose=0)


def predict(model, rows, threshold):
    out = []
    names = {}
    for r in rows:
        labels, probs = model.predict(clean(r), k=-1, threshold=0.0)
        scores = {}
        for lab, p in zip(labels, probs):
            tag = names.setdefault(lab, lab[len("__label__"):].replace("_", " "))
            scores[tag] = float(p)
        best = sorted(scores.items(), key=lambda kv: -kv[1])
        tags = [t for t, p in best if p >= threshold] or [t for t, _ in best[:1]]
        out.append({"id": r["id"], "tags": tags, "scores": dict(best[:10])})
    return out


def micro_f1(gold_rows, preds):
    tp = fp = fn = 0
    for g, p in zip(gold_rows, preds):
        gs, ps = set(g["tags"]), set(p["tags"])
        tp += len(gs & ps)
        fp += len(ps - gs)
        fn += len(gs - ps)
    return 2 * tp / max(2 * tp + fp + fn, 1)


def main():
    cmd = sys.argv[1]
    if cmd == "tune":
        train, val = read(sys.argv[2]), read(sys.argv[3])
        best = (-1.0, None, None, None)
        for epochs in EPOCHS:
            for lr in RATES:
                try:
                    model = fit(train, epochs, lr)
                except RuntimeError:  # fastText diverges ("Encountered NaN") on some settings: skip them
                    continue
                for t in THRESHOLDS:
                    f = micro_f1(val, predict(model, val, t))
                    if f > best[0]:
                        best = (f, epochs, lr, t)
        json.dump({"val_micro_f1": best[0], "epochs": best[1], "lr": best[2], "threshold": best[3]},
                  open(sys.argv[4], "w"))
    elif cmd == "fit":
        params = json.load(open(sys.argv[3]))
        fit(read(sys.argv[2]), params["epochs"], params["lr"]).save_model(sys.argv[4])
    elif cmd == "predict":
        params = json.load(open(sys.argv[3]))
        model = fasttext.load_model(sys.argv[2])
        with open(sys.argv[5], "w", encoding="utf-8") as f:
            for p in predict(model, read(sys.argv[4]), params["threshold"]):
                f.write(json.dumps(p, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
