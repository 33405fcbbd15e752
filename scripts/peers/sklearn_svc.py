#!/usr/bin/env python3
"""The plain reference for scripts/benchmark.py: TF-IDF + one-vs-rest LinearSVC, decision threshold 0.

usage: sklearn_svc.py fit TRAIN MODEL ; sklearn_svc.py predict MODEL TEST PRED_JSONL
"""

import json
import sys

import joblib
import numpy as np


def read(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def text(r):
    return (r.get("title") or "") + "\n" + (r.get("text") or "")


def main():
    if sys.argv[1] == "fit":
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.multiclass import OneVsRestClassifier
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import MultiLabelBinarizer
        from sklearn.svm import LinearSVC

        rows = read(sys.argv[2])
        mlb = MultiLabelBinarizer()
        Y = mlb.fit_transform([r["tags"] for r in rows])
        model = make_pipeline(TfidfVectorizer(sublinear_tf=True, ngram_range=(1, 2), min_df=2, dtype=np.float32),
                              OneVsRestClassifier(LinearSVC(), n_jobs=2))
        model.fit([text(r) for r in rows], Y)
        joblib.dump((model, mlb.classes_), sys.argv[3])
    else:
        model, classes = joblib.load(sys.argv[2])
        rows = read(sys.argv[3])
        S = model.decision_function([text(r) for r in rows])
        with open(sys.argv[4], "w", encoding="utf-8") as f:
            for r, s in zip(rows, S):
                top = np.argsort(-s)[:10]
                f.write(json.dumps({"id": r["id"], "tags": [str(classes[j]) for j in np.flatnonzero(s > 0)],
                                    "scores": {str(classes[j]): float(s[j]) for j in top}}, ensure_ascii=False)
                        + "\n")


if __name__ == "__main__":
    main()
