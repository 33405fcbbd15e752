#!/usr/bin/env python3
"""What each part of the pipeline buys, measured on a validation split carved from train (never test).

usage: python scripts/ablation.py TRAIN.jsonl [--language fr|en] [--min-tag-count N] [--json OUT]

The validation split is the benchmark's (scripts/benchmark.py): 10% of the training articles, chosen
by a hash of the article id (`hash_fold(id, 10) == 0`, classifier.evaluation.splits). Each row trains
on the other 90% and scores the validation articles with the project's `compute_metrics` (micro/macro-F1
over the learned tags; macro over tags with validation support). Rows change one thing against the
default pipeline (the first row).
"""

from __future__ import annotations

import time

from _common import f1, indicator, parser, write_json

from classifier import TagModel, load_articles
from classifier.evaluation.splits import hash_fold

# (label, model parameters, decision options); decision options apply to the default model's scores.
ROWS: list[tuple[str, dict, dict]] = [
    ("default: unigrams, sublinear TF-IDF, ensemble (ridge + squared hinge) alpha 0.3, micro+macro "
     "thresholds, >= 1 tag, weights under 1% pruned", {}, {}),
    ("SCutFBR thresholds (fbr 0.2; the default before session 4)", {"threshold_rule": "scutfbr"}, {}),
    ("one global cut (calibrated score >= 0.5) instead of per-tag thresholds", {}, {"threshold": 0.5}),
    ("each tag's own best F1, no fallback (SCutFBR at fbr 0)", {"threshold_rule": "scutfbr", "fbr": 0.0}, {}),
    ("no at-least-one-tag guarantee (min_tags 0)", {}, {"min_tags": 0}),
    ("raw term frequency (sublinear_tf off)", {"sublinear_tf": False}, {}),
    ("no max_df cut (max_df 1.0)", {"max_df": 1.0}, {}),
    ("min_df 1", {"min_df": 1}, {}),
    ("alpha 0.1", {"alpha": 0.1}, {}),
    ("alpha 1.0", {"alpha": 1.0}, {}),
    ("word 1-2-grams", {"ngram_range": (1, 2)}, {}),
    ("ridge loss alone (--loss ridge: the default before session 11)", {"loss": "ridge"}, {}),
    ("squared-hinge loss (--loss squared_hinge)", {"loss": "squared_hinge"}, {}),
    ("squared-hinge loss with SCutFBR thresholds", {"loss": "squared_hinge", "threshold_rule": "scutfbr"}, {}),
]


def main() -> None:
    args = parser(__doc__).parse_args()
    corpus = load_articles(args.train)
    val = [hash_fold(i, 10) == 0 for i in corpus.ids]
    fit_texts = [t for t, v in zip(corpus.texts, val) if not v]
    fit_tags = [t for t, v in zip(corpus.tags, val) if not v]
    val_texts = [t for t, v in zip(corpus.texts, val) if v]
    val_tags = [t for t, v in zip(corpus.tags, val) if v]
    print(f"{len(fit_texts)} training articles, {len(val_texts)} validation articles", flush=True)
    results = []
    default_model = None
    for label, params, decide in ROWS:
        start = time.perf_counter()
        if params or default_model is None:
            model = TagModel(language=args.language, min_tag_count=args.min_tag_count, **params)
            model.fit(fit_texts, fit_tags)
            seconds = time.perf_counter() - start
            if not params:
                default_model, default_seconds = model, seconds
        else:
            model, seconds = default_model, default_seconds
        gold = indicator(val_tags, model.classes_)
        m = f1(gold, model.decide(model.decision_function(val_texts), **decide))
        row = {"change": label, "val_micro_f1": m["micro_f1"], "val_macro_f1": m["macro_f1"],
               "fit_s": round(seconds, 1)}
        results.append(row)
        print(f"{row['val_micro_f1']:.4f}  {row['val_macro_f1']:.4f}  {row['fit_s']:6.1f} s  {label}", flush=True)
    write_json(args.json_out, results)


if __name__ == "__main__":
    main()
