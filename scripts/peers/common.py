"""Helpers shared by the peer scripts (each runs in its own venv; this file sits beside them)."""

import json

import numpy as np


def read(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def text(r):
    return (r.get("title") or "") + "\n" + (r.get("text") or "")


def write_predictions(path, rows, values, classes, cut=0.0):
    """One JSONL line per article: tags whose decision value is above `cut`, and the ten best scores."""
    with open(path, "w", encoding="utf-8") as out:
        for r, v in zip(rows, values):
            top = np.argsort(-v)[:10]
            out.write(json.dumps({"id": r["id"], "tags": [str(classes[j]) for j in np.flatnonzero(v > cut)],
                                  "scores": {str(classes[j]): float(v[j]) for j in top}}, ensure_ascii=False)
                      + "\n")
