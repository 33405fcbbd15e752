"""Write an evaluation to disk: metrics.json, per_tag.csv, one PNG per plot, and a self-contained
report.html (plots embedded as data URIs; no network, no server). Every file is written atomically."""

from __future__ import annotations

import base64
import csv
import html
import io
from pathlib import Path
from typing import Any

from classifier.evaluation.scoring import Evaluation
from classifier.fileio import atomic_write_text, csv_cell, write_json

_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:2rem auto;max-width:1100px;
color:#222;padding:0 1rem}h1{margin-bottom:.2rem}h2{margin-top:2.2rem;border-bottom:1px solid #ddd}
table{border-collapse:collapse;font-size:.9rem}td,th{padding:.25rem .6rem;border-bottom:1px solid #eee;
text-align:right}th{background:#f5f5f5;cursor:pointer;position:sticky;top:0}td:first-child,th:first-child
{text-align:left}.cards{display:flex;flex-wrap:wrap;gap:.8rem}.card{background:#f5f7fb;border-radius:8px;
padding:.7rem 1rem;min-width:8rem}.card b{display:block;font-size:1.5rem}img{max-width:100%;
border:1px solid #eee;margin:.5rem 0}.tag{display:inline-block;border-radius:4px;padding:0 .35rem;margin:.1rem;
font-size:.85rem}.hit{background:#d4edda}.missed{background:#f8d7da;text-decoration:line-through}
.spurious{background:#ffe8cc}.ex{border:1px solid #eee;border-radius:6px;padding:.6rem;margin:.6rem 0}
.ex p{color:#555;font-size:.9rem}.scroll{max-height:32rem;overflow:auto}.meta td{text-align:left}
.up{color:#1a7f37}.down{color:#cf222e}.why{display:grid;grid-template-columns:repeat(auto-fill,minmax(16rem,1fr));
gap:.8rem}.why>div{border:1px solid #eee;border-radius:6px;padding:.5rem .7rem}.why h3{margin:.1rem 0 .3rem;
font-size:1rem}.why small{color:#666;font-weight:normal}.w{display:inline-block;border-radius:3px;padding:0 .3rem;
margin:.08rem;font-size:.8rem;white-space:nowrap}.w.pos{background:#e3f1fb;color:#0b4f7a}.w.neg{background:#fde8e8;
color:#8a1c1c}.evidence{list-style:none;padding:0;margin:.3rem 0;font-size:.85rem}.evidence li{margin:.15rem 0}"""

_SORT_JS = """
document.querySelectorAll("table.sortable th").forEach(function(th, col){
  th.addEventListener("click", function(){
    var body = th.closest("table").tBodies[0], rows = Array.from(body.rows);
    var asc = th.dataset.asc !== "1"; th.dataset.asc = asc ? "1" : "0";
    rows.sort(function(a, b){
      var x = a.cells[col].textContent, y = b.cells[col].textContent;
      var nx = parseFloat(x), ny = parseFloat(y);
      var c = (!isNaN(nx) && !isNaN(ny)) ? nx - ny : x.localeCompare(y);
      return asc ? c : -c;
    });
    rows.forEach(function(r){ body.appendChild(r); });
  });
});"""


def _esc(value: Any) -> str:
    return html.escape(str(value))


def per_tag_csv(rows: list[dict[str, Any]]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(rows[0]) if rows else ["tag"], lineterminator="\n")
    writer.writeheader()
    writer.writerows({k: csv_cell(v) for k, v in row.items()} for row in rows)
    return buffer.getvalue()


def _table(rows: list[dict[str, Any]], columns: list[str], sortable: bool = True) -> str:
    head = "".join(f"<th>{_esc(c)}</th>" for c in columns)
    body = "".join("<tr>" + "".join(f"<td>{_esc(r.get(c, ''))}</td>" for c in columns) + "</tr>" for r in rows)
    kind = "sortable" if sortable else ""
    return f'<table class="{kind}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def _tags(names: list[str], cls: str) -> str:
    return "".join(f'<span class="tag {cls}">{_esc(t)}</span>' for t in names)


def _words(words: list[tuple[str, float]]) -> str:
    """Words with their weights, positive ones blue, negative ones red."""
    return "".join(f'<span class="w {"pos" if v > 0 else "neg"}">{_esc(w)} {v:+.3f}</span>' for w, v in words)


def _evidence(tags: dict[str, list[tuple[str, float]]], kinds: dict[str, str]) -> str:
    """One line per tag of an example: the words of its text that raised the tag's score, then those
    that lowered it."""
    items = "".join(f'<li><span class="tag {kinds.get(t, "")}">{_esc(t)}</span> {_words(words) or "(no word)"}</li>'
                    for t, words in tags.items())
    return f'<ul class="evidence">{items}</ul>' if items else ""


def _example(e: dict[str, Any], evidence: dict[str, list[tuple[str, float]]] | None = None) -> str:
    kinds = {**{t: "hit" for t in e["hits"]}, **{t: "missed" for t in e["missed"]},
             **{t: "spurious" for t in e["spurious"]}}
    return (f'<div class="ex"><b>{_esc(e["id"])}</b> — F1 {e["f1"]:.2f}<br>{_tags(e["hits"], "hit")}'
            f'{_tags(e["missed"], "missed")}{_tags(e["spurious"], "spurious")}'
            f'{_evidence(evidence or {}, kinds)}<p>{_esc(e["text"])}…</p></div>')


def _why_section(why: dict[str, Any]) -> str:
    """What the most frequent tags learned: their largest and their most negative weights."""
    cards = "".join(
        f'<div><h3>{_esc(t["tag"])} <small>({t["support"]} training articles)</small></h3>'
        f'<div>{_words(t["positive"]) or "—"}</div><div>{_words(t["negative"]) or "—"}</div></div>'
        for t in why.get("tags", []))
    return ("<h2>Why these tags</h2><p>What the most frequent tags learned: the words with the largest weights "
            '(<span class="w pos">blue</span>: a word raises the tag\'s score wherever it appears) and the most '
            'negative (<span class="w neg">red</span>: it lowers it). In an article, a word adds its TF-IDF value '
            "times this weight to the tag's raw score; the examples below list those shares, the article's words "
            f'that raised and lowered each of its tags most.</p><div class="why">{cards}</div>')


def _timeline_section(timeline: dict[str, Any]) -> str:
    """By month, and for a date split the split itself and what drifted across it."""
    parts = []
    split, drift = timeline.get("split"), timeline.get("drift")
    if split:
        parts.append(f"<h2>Time split</h2><p>Learned from the {split['before']} articles dated before "
                     f"{_esc(split['cutoff'])}, evaluated on the {split['after']} dated on or after it (dates "
                     f"{_esc(split['first_date'])} to {_esc(split['last_date'])}; {split['undated']} undated "
                     "articles left out).</p>")
    if timeline.get("by_month"):
        parts.append("<h2>F1 by month</h2><p>Learned tags only, and on every gold tag of the month (tags the "
                     "model never learned count as misses).</p>"
                     + _table(timeline["by_month"], list(timeline["by_month"][0])))
    if drift:
        new = drift["new_tags"]
        parts.append(f"<h2>Drift</h2><h3>Tags of the later articles that the model never learned ({len(new)} tags, "
                     f"{drift['new_tag_uses']} uses)</h3><p>"
                     + (", ".join(f"{_esc(r['tag'])} ({r['articles']}; before: {r['seen_before']})"
                                  for r in new[:80]) or "none") + "</p>"
                     "<h3>Tags whose share of articles moved most</h3>"
                     + _table(drift["moved"], ["tag", "share_before", "share_after", "change", "articles_before",
                                               "articles_after", "f1_after"]))
    return "".join(parts)


def render_html(ev: Evaluation, images: dict[str, bytes], *, comparison: dict | None = None,
                cv: dict | None = None, learning: list | None = None, why: dict | None = None,
                timeline: dict | None = None, title: str = "Tagging evaluation") -> str:
    """The report page. `why` (optional) explains tags: {"tags": [{"tag", "support", "positive",
    "negative"}, ...]} (what frequent tags learned) and {"examples": {row: {tag: [(word, weight), ...]}}}
    (the evidence of the example articles' tags, by their row in `ev`)."""
    m = ev.manifest
    data = m.get("training_data", {})
    settings = m.get("settings", {})
    meta_rows = [
        ("model", m.get("run_dir", "")), ("trained", m.get("created", "")),
        ("training data", f"{data.get('path', '?')} ({data.get('articles', '?')} articles)"),
        ("tags learned", f"{m.get('tags_learned', len(ev.classes))} (left out: {m.get('tags_left_out', '?')})"),
        ("settings", ", ".join(f"{k}={v}" for k, v in settings.items())),
        ("versions", ", ".join(f"{k} {v}" for k, v in m.get("versions", {}).items())),
        ("evaluation data", f"{ev.data_path} ({len(ev.ids)} articles, {ev.skipped} skipped)"),
        ("unknown gold tags", f"{sum(ev.unknown_tags.values())} uses of {len(ev.unknown_tags)} tags the model "
                              "never learned (not counted in any metric)"),
    ]
    meta = "".join(f"<tr><th>{_esc(k)}</th><td>{_esc(v)}</td></tr>" for k, v in meta_rows)
    cards = "".join(f'<div class="card">{_esc(k.replace("_", " "))}<b>{ev.metrics[k]:.3f}</b></div>'
                    for k in ("micro_f1", "macro_f1", "samples_f1", "micro_precision", "micro_recall", "p_at_1")
                    if k in ev.metrics)
    all_metrics = _table([{"metric": k, "value": v} for k, v in ev.metrics.items()], ["metric", "value"])
    plots = "".join(f'<h3>{_esc(name)}</h3><img alt="{_esc(name)}" src="data:image/png;base64,'
                    f'{base64.b64encode(png).decode()}">' for name, png in images.items())
    per_tag = ev.per_tag()
    columns = ["tag", "support", "predicted", "precision", "recall", "f1", "train_support", "threshold"]
    examples = ev.examples()
    sections = [
        f"<h1>{_esc(title)}</h1>", f'<table class="meta">{meta}</table>',
        f'<h2>Headline</h2><div class="cards">{cards}</div><details><summary>All metrics</summary>{all_metrics}'
        "</details><p>Ranking metrics (P@k, NDCG@5, LRAP, coverage) rank each article's tags by calibrated "
        "probability (the reliability plot shows it too); the decided tags are predict's defaults.</p>",
    ]
    if comparison:
        rows = [{"metric": k, **v} for k, v in comparison["metrics"].items()]
        known = [{"metric": k, **v} for k, v in comparison.get("known_tags", {}).items()]
        tag_rows = comparison["tags"][:40]
        sections.append(f"<h2>Comparison</h2><p>a = {_esc(comparison.get('a'))}<br>b = {_esc(comparison.get('b'))}"
                        " (delta = b − a)</p><h3>On every gold tag of the evaluation data (a tag a model never "
                        "learned counts as its miss, as score.py counts it)</h3>"
                        + _table(rows, ["metric", "a", "b", "delta"])
                        + "<h3>Each model on the tags it learned</h3>" + _table(known, ["metric", "a", "b", "delta"])
                        + "<h3>Largest per-tag changes in F1</h3>"
                        + _table(tag_rows, ["tag", "support", "f1_a", "f1_b", "delta"]))
    if cv:
        rows = [{"metric": k, "mean": cv["mean"][k], "std": cv["std"][k]} for k in cv["mean"]]
        sections.append(f"<h2>Cross-validation ({cv['folds']} stratified folds)</h2>"
                        + _table(rows, ["metric", "mean", "std"]))
    if learning:
        sections.append("<h2>Learning curve</h2>" + _table(learning, list(learning[0])))
    if timeline:
        sections.append(_timeline_section(timeline))
    shown = (why or {}).get("examples", {})
    sections += [
        f"<h2>Plots</h2>{plots}",
        f'<h2>Per tag ({len(per_tag)} tags, by support; click a column to sort)</h2><div class="scroll">'
        + _table(per_tag, columns) + "</div>",
        _why_section(why) if why else "",
        '<h2>Examples</h2><p><span class="tag hit">hit</span><span class="tag missed">missed</span>'
        '<span class="tag spurious">spurious</span></p><h3>Best tagged</h3>'
        + "".join(_example(e, shown.get(e["row"])) for e in examples["best"]) + "<h3>Worst tagged</h3>"
        + "".join(_example(e, shown.get(e["row"])) for e in examples["worst"]),
    ]
    if ev.unknown_tags:
        sections.append("<h2>Gold tags the model does not know</h2><p>"
                        + ", ".join(f"{_esc(t)} ({c})" for t, c in ev.unknown_tags.most_common(100)) + "</p>")
    return (f'<!DOCTYPE html><html lang="fr"><head><meta charset="utf-8"><title>{_esc(title)}</title>'
            f"<style>{_CSS}</style></head><body>{''.join(sections)}<script>{_SORT_JS}</script></body></html>\n")


def write_report(ev: Evaluation, out: str | Path, *, cooccurrence: dict | None = None,
                 comparison: dict | None = None, cv: dict | None = None, learning: list | None = None,
                 why: dict | None = None, timeline: dict | None = None, progress=None) -> dict[str, Path]:
    """Write every output of an evaluation into `out` (`why`: see `render_html`; `timeline`: F1 by
    month, and a date split with its drift); returns the paths by name."""
    from classifier.evaluation import plots

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    progress = progress or (lambda *a: None)
    figures = {
        "f1_vs_support": ("Per-tag F1 against support", lambda: plots.f1_vs_support(ev)),
        "precision_recall": ("Precision-recall, most frequent tags", lambda: plots.precision_recall(ev)),
        "f1_vs_threshold": ("F1 against threshold", lambda: plots.f1_vs_threshold(ev)),
        "reliability": ("Reliability of the calibrated probabilities", lambda: plots.reliability(ev)),
        "confusions": ("Most confused tags", lambda: plots.confusions(ev)),
        "cooccurrence": ("Tag co-occurrence in the training data", lambda: plots.cooccurrence(cooccurrence)),
    }
    if learning:
        figures["learning_curve"] = ("Learning curve", lambda: plots.learning_curve(learning))
    if timeline and timeline.get("by_month"):
        figures["by_month"] = ("F1 by month", lambda: plots.monthly_f1(timeline["by_month"]))
    images: dict[str, bytes] = {}
    paths: dict[str, Path] = {}
    for step, (name, (label, make)) in enumerate(figures.items()):
        progress("plotting", step, len(figures))
        paths[name] = out / f"{name}.png"
        images[label] = plots.save_png(make(), paths[name])
    progress("plotting", len(figures), len(figures))
    metrics = {**ev.metrics, "articles": len(ev.ids), "skipped": ev.skipped, "tags": len(ev.classes),
               "unknown_tags": dict(ev.unknown_tags.most_common()), "unknown_tag_uses": sum(ev.unknown_tags.values()),
               "data": ev.data_path}
    if comparison:
        metrics["comparison"] = comparison
    if cv:
        metrics["cross_validation"] = cv
    if learning:
        metrics["learning_curve"] = learning
    if timeline:
        metrics.update({k: v for k, v in timeline.items() if v is not None})
    paths["metrics"] = out / "metrics.json"
    write_json(paths["metrics"], metrics)
    paths["per_tag"] = out / "per_tag.csv"
    atomic_write_text(paths["per_tag"], per_tag_csv(ev.per_tag()))
    paths["report"] = out / "report.html"
    atomic_write_text(paths["report"], render_html(ev, images, comparison=comparison, cv=cv, learning=learning,
                                                           why=why, timeline=timeline))
    return paths
