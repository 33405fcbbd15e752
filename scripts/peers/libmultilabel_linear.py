#!/usr/bin/env python3
"""LibMultiLabel's linear one-vs-rest with its cross-validated threshold selection
(`train_thresholding`), for scripts/benchmark.py (runs in its own venv with libmultilabel).

usage: libmultilabel_linear.py tune TRAIN VAL OUT_JSON     -> liblinear C chosen on VAL (micro + macro F1)
       libmultilabel_linear.py fit TRAIN PARAMS_JSON MODEL
       libmultilabel_linear.py predict MODEL PARAMS_JSON TEST PRED_JSONL
Features: LibMultiLabel's own `linear.Preprocessor` with its default TF-IDF (scikit-learn's
TfidfVectorizer defaults); liblinear `-s 2 -B 1` (L2-regularised L2-loss SVM with a bias term).
The thresholding's internal 3-fold split draws from numpy's global generator: seeded for repeatability.
Articles are JSONL (id, title, text, tags).
"""

import json
import pickle
import sys

import libmultilabel.linear as linear
import numpy as np
from common import read, text, write_predictions
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.preprocessing import MultiLabelBinarizer

GRID = (0.5, 1.0, 2.0)


def fit(rows, c):
    vec = TfidfVectorizer()  # what linear.Preprocessor() uses when given no tfidf_params
    x = vec.fit_transform([text(r) for r in rows]).tocsr()
    mlb = MultiLabelBinarizer(sparse_output=True)
    y = mlb.fit_transform([r["tags"] for r in rows]).tocsr()
    np.random.seed(0)
    model = linear.train_thresholding(y, x, options=f"-s 2 -B 1 -c {c} -q", verbose=False)
    return vec, mlb, model


def decide(bundle, rows):
    vec, mlb, model = bundle
    values = linear.predict_values(model, vec.transform([text(r) for r in rows]).tocsr())
    return values, mlb.classes_


def f1s(rows, values, classes):
    index = {t: j for j, t in enumerate(classes)}
    gold = np.zeros(values.shape, bool)
    for i, r in enumerate(rows):
        for t in r["tags"]:
            if t in index:
                gold[i, index[t]] = True
    pred = values > 0
    tp, fp, fn = (gold & pred).sum(0), (~gold & pred).sum(0), (gold & ~pred).sum(0)
    micro = 2 * tp.sum() / max(2 * tp.sum() + fp.sum() + fn.sum(), 1)
    has = tp + fn > 0
    macro = float(np.mean(2 * tp[has] / (2 * tp[has] + fp[has] + fn[has]))) if has.any() else 0.0
    return micro + macro


def main():
    cmd = sys.argv[1]
    if cmd == "tune":
        train, val = read(sys.argv[2]), read(sys.argv[3])
        scores = {c: f1s(val, *decide(fit(train, c), val)) for c in GRID}
        best = max(scores, key=scores.get)
        json.dump({"c": best, "val_micro_plus_macro": scores[best]}, open(sys.argv[4], "w"))
    elif cmd == "fit":
        params = json.load(open(sys.argv[3]))
        with open(sys.argv[4], "wb") as f:
            pickle.dump(fit(read(sys.argv[2]), params["c"]), f)
    elif cmd == "predict":
        with open(sys.argv[2], "rb") as f:
            bundle = pickle.load(f)
        rows = read(sys.argv[4])
        write_predictions(sys.argv[5], rows, *decide(bundle, rows))

if __name__ == "__main__":
    main()
