import base64
import csv
import html
import io
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from classifier import evaluate_model, load_articles
from classifier.evaluation.report import write_report
from classifier.evaluation.scoring import compare


@pytest.fixture(scope="module")
def written(trained, mini_path, tmp_path_factory):
    from classifier.api.evaluating import explain_tags

    ev = evaluate_model(trained.model, load_articles(mini_path))
    out = tmp_path_factory.mktemp("report")
    paths = write_report(ev, out, cooccurrence=trained.model.cooccurrence_, comparison=compare(ev, ev),
                         learning=[{"articles": 75, "fraction": 0.5, "micro_f1": 0.5, "macro_f1": 0.4,
                                    "tags_learned": 5}], why=explain_tags(trained.model, ev))
    return ev, out, paths


def test_files_written(written):
    ev, out, paths = written
    metrics = json.loads((out / "metrics.json").read_text())
    assert {"micro_f1", "macro_f1", "samples_f1"} <= set(metrics)
    rows = list(csv.DictReader((out / "per_tag.csv").open(encoding="utf-8")))
    assert len(rows) == len(ev.classes) and {"tag", "support", "f1", "threshold"} <= set(rows[0])
    for name in ("f1_vs_support", "precision_recall", "f1_vs_threshold", "reliability", "confusions",
                 "cooccurrence", "learning_curve"):
        assert paths[name].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_report_is_self_contained(written):
    _, out, _ = written
    page = (out / "report.html").read_text(encoding="utf-8")
    images = re.findall(r'<img[^>]*src="([^"]+)"', page)
    assert len(images) == 7
    for src in images:
        assert src.startswith("data:image/png;base64,")
        assert base64.b64decode(src.split(",", 1)[1])[:4] == b"\x89PNG"
    assert "http://" not in page and "https://" not in page  # nothing to fetch
    for section in ("Headline", "Per tag", "Why these tags", "Best tagged", "Worst tagged", "Comparison",
                    "Learning curve"):
        assert section in page
    assert "santé" in page  # accents kept


def test_report_renders_in_headless_chromium(written, tmp_path, chromium):
    _, out, _ = written
    script = Path(__file__).resolve().parent.parent / "scripts" / "check_report.py"
    result = subprocess.run([sys.executable, str(script), str(out / "report.html"), "--screenshot",
                             str(tmp_path / "shot.png"), "--chromium", chromium],
                            capture_output=True, text=True, timeout=240)
    assert result.returncode == 0, result.stdout + result.stderr
    verdict = json.loads(result.stdout)
    assert verdict["images"] == 7 and verdict["broken"] == [] and verdict["errors"] == []
    assert (tmp_path / "shot.png").read_bytes()[:4] == b"\x89PNG"


def test_csv_cells_that_look_like_formulas_are_neutralised():
    from classifier.evaluation.report import per_tag_csv
    from classifier.types import Prediction

    text = per_tag_csv([{"tag": '=HYPERLINK("http://x","y")', "f1": 0.5}, {"tag": "-1", "f1": -0.25},
                        {"tag": "Maroc", "f1": 1.0}])
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[1][0] == '\'=HYPERLINK("http://x","y")' and rows[2] == ["'-1", "-0.25"] and rows[3][0] == "Maroc"
    assert Prediction("@x", ["+tag", "ok"], {"+tag": 0.9}).csv_row()[:2] == ["'@x", "'+tag|ok"]


def test_why_section_shows_what_frequent_tags_learned_and_the_examples_evidence(written, trained):
    from classifier.model.explain import top_weights

    ev, out, _ = written
    page = (out / "report.html").read_text(encoding="utf-8")
    why = page[page.index("<h2>Why these tags</h2>"):page.index("<h2>Examples</h2>")]
    cards = re.findall(r"<h3>(.*?) <small>\((\d+) training articles\)</small></h3>", why)
    model = trained.model
    support = dict(zip(map(str, model.classes_), map(int, model.tag_support_)))
    assert len(cards) == min(8, len(support))
    assert [int(n) for _, n in cards] == sorted(support.values(), reverse=True)[:len(cards)]
    first = html.unescape(cards[0][0])
    for word, weight in top_weights(model, first, top_n=8):
        assert f'<span class="w {"pos" if weight > 0 else "neg"}">{html.escape(word)} {weight:+.3f}</span>' in why
    examples = page[page.index("<h2>Examples</h2>"):]
    blocks = re.findall(r'<div class="ex">(.*?)</div>', examples, re.S)
    assert len(blocks) == len(ev.examples()["best"]) + len(ev.examples()["worst"])
    for block in blocks:
        lines = re.findall(r'<li><span class="tag (\w*)">(.*?)</span>(.*?)</li>', block)
        assert lines, "each example lists the evidence of its tags"
        text = html.unescape(re.search(r"<p>(.*?)…</p>", block, re.S).group(1)).lower()
        words = [html.unescape(w) for _, _, cell in lines for w in re.findall(r'class="w \w+">(\S+) ', cell)]
        assert words and sum(w in text for w in words) >= len(words) // 2  # the shown text is cut at 600 chars


def test_report_escapes_what_it_is_given(written):
    ev, out, _ = written
    from classifier.evaluation.report import render_html

    why = {"tags": [{"tag": "<b>x</b>", "support": 3, "positive": [("<i>", 0.5)], "negative": [("&", -0.1)]}],
           "examples": {}}
    page = render_html(ev, {}, why=why)
    assert "<b>x</b>" not in page and "&lt;b&gt;x&lt;/b&gt;" in page and "&lt;i&gt; +0.500" in page
