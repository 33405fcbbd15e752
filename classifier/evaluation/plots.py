"""Evaluation plots. Each function returns a matplotlib Figure and never shows it (Agg backend)."""

from __future__ import annotations

from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

from classifier.evaluation.scoring import Evaluation

plt.rcParams.update({"font.family": "DejaVu Sans", "font.size": 10, "axes.titlesize": 12,
                     "axes.grid": True, "grid.alpha": 0.3, "figure.dpi": 100})


def _fig(width: float = 8, height: float = 5) -> tuple[Figure, Any]:
    fig = Figure(figsize=(width, height), layout="constrained")
    return fig, fig.add_subplot()


def f1_vs_support(ev: Evaluation) -> Figure:
    """Per-tag F1 against gold support (log scale): the long tail at a glance."""
    rows = [r for r in ev.per_tag() if r["support"] > 0]
    fig, ax = _fig()
    if rows:
        support = np.array([r["support"] for r in rows])
        f1 = np.array([r["f1"] for r in rows])
        ax.scatter(support, f1, s=18, alpha=0.6, color="#1f77b4", edgecolors="none")
        for r in sorted(rows, key=lambda r: -r["support"])[:8]:
            ax.annotate(r["tag"], (r["support"], r["f1"]), fontsize=8, xytext=(3, 3), textcoords="offset points")
        ax.set_xscale("log")
    ax.set_xlabel("articles with the tag in the evaluation data (log scale)")
    ax.set_ylabel("F1")
    ax.set_ylim(-0.03, 1.03)
    ax.set_title(f"Per-tag F1 against support ({len(rows)} tags with support; "
                 f"macro-F1 {ev.metrics.get('macro_f1', 0):.3f})")
    return fig


def _frequent(ev: Evaluation, n: int) -> list[int]:
    support = ev.gold.sum(0)
    return [int(j) for j in np.argsort(-support, kind="stable")[:n] if support[j] > 0]


def precision_recall(ev: Evaluation, n: int = 8) -> Figure:
    """Precision-recall curves of the n most frequent tags, with each tag's operating point."""
    from sklearn.metrics import auc, precision_recall_curve

    fig, ax = _fig(8, 6)
    colors = plt.get_cmap("tab10")
    for k, j in enumerate(_frequent(ev, n)):
        p, r, _ = precision_recall_curve(ev.gold[:, j], ev.raw[:, j])
        ax.plot(r, p, color=colors(k), lw=1.5, label=f"{ev.classes[j]} (AUC {auc(r, p):.2f})")
        tp = (ev.gold[:, j] & ev.pred[:, j]).sum()
        prec = tp / max(ev.pred[:, j].sum(), 1)
        rec = tp / max(ev.gold[:, j].sum(), 1)
        ax.plot([rec], [prec], "o", color=colors(k), ms=6)
    ax.set_xlabel("recall")
    ax.set_ylabel("precision")
    ax.set_xlim(0, 1.02)
    ax.set_ylim(0, 1.02)
    ax.set_title("Precision-recall of the most frequent tags (dots: the tuned thresholds)")
    ax.legend(fontsize=8, loc="lower left")
    return fig


def f1_vs_threshold(ev: Evaluation, n: int = 4) -> Figure:
    """F1 on the evaluation data as each chosen tag's threshold moves; the tuned threshold marked."""
    tags = _frequent(ev, n)
    fig = Figure(figsize=(10, 2.6 * ((len(tags) + 1) // 2) + 0.6), layout="constrained")
    axes = fig.subplots((len(tags) + 1) // 2 or 1, 2, squeeze=False).ravel()
    for ax, j in zip(axes, tags):
        s, g = ev.raw[:, j], ev.gold[:, j]
        grid = np.linspace(min(s.min(), ev.thresholds[j]) - 0.05, max(s.max(), ev.thresholds[j]) + 0.05, 200)
        pred = s[None, :] >= grid[:, None]
        tp = (pred & g).sum(1)
        f1 = 2 * tp / np.maximum(pred.sum(1) + g.sum(), 1)
        ax.plot(grid, f1, color="#1f77b4")
        ax.axvline(ev.thresholds[j], color="#d62728", ls="--", label=f"tuned {ev.thresholds[j]:.2f}")
        ax.set_title(ev.classes[j])
        ax.set_xlabel("threshold on the raw score")
        ax.set_ylabel("F1")
        ax.legend(fontsize=8)
    for ax in axes[len(tags):]:
        ax.set_visible(False)
    fig.suptitle("F1 against threshold (thresholds were tuned on training data only)")
    return fig


def reliability(ev: Evaluation, bins: int = 10) -> Figure:
    """Reliability diagram: observed share of gold tags against the calibrated probability (not the score
    `predict` ranks by), all (article, tag)."""
    p, g = ev.proba.ravel(), ev.gold.ravel()
    edges = np.linspace(0, 1, bins + 1)
    which = np.clip(np.digitize(p, edges) - 1, 0, bins - 1)
    count = np.bincount(which, minlength=bins)
    observed = np.bincount(which, weights=g, minlength=bins) / np.maximum(count, 1)
    mean_p = np.bincount(which, weights=p, minlength=bins) / np.maximum(count, 1)
    fig = Figure(figsize=(8, 6), layout="constrained")
    ax, ax2 = fig.subplots(2, 1, height_ratios=[3, 1], sharex=True)
    ax.plot([0, 1], [0, 1], color="gray", ls=":", label="perfect calibration")
    ok = count > 0
    ax.plot(mean_p[ok], observed[ok], "o-", color="#1f77b4", label="this model")
    ax.set_ylabel("share that are gold tags")
    ax.set_title("Reliability of the calibrated probabilities (every article × tag pair)")
    ax.legend(loc="upper left")
    ax2.bar(edges[:-1], count, width=1 / bins, align="edge", color="#aec7e8", edgecolor="white")
    ax2.set_yscale("log")
    ax2.set_xlabel("calibrated probability")
    ax2.set_ylabel("pairs (log)")
    return fig


def confusions(ev: Evaluation, top: int = 15) -> Figure:
    """The most frequent (predicted A, missed B) pairs, ranked."""
    pairs = ev.confused_pairs(top)
    fig, ax = _fig(9, max(3, 0.35 * len(pairs) + 1.2))
    if pairs:
        labels = [f"predicted « {a} », editors wrote « {b} »" for a, b, _ in pairs][::-1]
        ax.barh(range(len(pairs)), [c for _, _, c in pairs][::-1], color="#ff7f0e")
        ax.set_yticks(range(len(pairs)), labels, fontsize=9)
    else:
        ax.text(0.5, 0.5, "no article had both a spurious and a missed tag", ha="center", transform=ax.transAxes)
    ax.set_xlabel("articles")
    ax.set_title("Tags most often predicted in place of the editors' tag")
    return fig


def cooccurrence(data: dict[str, Any] | None) -> Figure:
    """Heatmap of how often the most frequent training tags appear together."""
    fig, ax = _fig(9, 8)
    if not data:
        ax.text(0.5, 0.5, "this model did not record co-occurrences", ha="center", transform=ax.transAxes)
        return fig
    counts = np.asarray(data["counts"], dtype=float)
    tags = data["tags"]
    im = ax.imshow(np.log1p(counts), cmap="viridis")
    ax.set_xticks(range(len(tags)), tags, rotation=90, fontsize=8)
    ax.set_yticks(range(len(tags)), tags, fontsize=8)
    ax.grid(False)
    fig.colorbar(im, ax=ax, label="log(1 + articles with both tags)")
    ax.set_title("Co-occurrence of the most frequent tags in the training data")
    return fig


def learning_curve(rows: list[dict[str, Any]]) -> Figure:
    """Micro/macro F1 against the number of training articles."""
    fig, ax = _fig()
    x = [r["articles"] for r in rows]
    ax.plot(x, [r["micro_f1"] for r in rows], "o-", label="micro-F1")
    ax.plot(x, [r["macro_f1"] for r in rows], "s-", label="macro-F1")
    ax.set_xlabel("training articles")
    ax.set_ylabel("F1 on the evaluation data")
    ax.set_ylim(0, 1)
    ax.set_title("Learning curve")
    ax.legend()
    return fig


def monthly_f1(rows: list[dict[str, Any]]) -> Figure:
    """Micro/macro F1 of each month's articles (and on every gold tag, when the rows carry it)."""
    fig, ax = _fig(9, 4.5)
    x = list(range(len(rows)))
    ax.plot(x, [r["micro_f1"] for r in rows], "o-", label="micro-F1 (learned tags)")
    ax.plot(x, [r["macro_f1"] for r in rows], "s-", label="macro-F1 (learned tags)")
    if rows and "all_gold_micro_f1" in rows[0]:
        ax.plot(x, [r["all_gold_micro_f1"] for r in rows], "^--", label="micro-F1 (every gold tag)")
    step = max(1, len(rows) // 12)
    ax.set_xticks(x[::step], [r["month"] for r in rows][::step], rotation=45, ha="right")
    ax.set_ylabel("F1")
    ax.set_ylim(0, 1)
    ax.set_title("F1 by month of the evaluated articles")
    ax.legend()
    return fig


def save_png(fig: Figure, path) -> bytes:
    """PNG bytes of `fig` (written atomically to `path` too, if given)."""
    import io

    from classifier.fileio import atomic_write_bytes

    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    data = buffer.getvalue()
    if path is not None:
        atomic_write_bytes(path, data)
    return data
