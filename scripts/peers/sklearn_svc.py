#!/usr/bin/env python3
"""The plain reference for scripts/benchmark.py: TF-IDF + one-vs-rest LinearSVC, decision threshold 0.

usage: sklearn_svc.py fit TRAIN MODEL ; sklearn_svc.py predict MODEL TEST PRED_JSONL
"""

import sys

import joblib
import numpy as np
from common import read, text, write_predictions


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
        write_predictions(sys.argv[4], rows, model.decision_function([text(r) for r in rows]), classes)

if __name__ == "__main__":
    main()
