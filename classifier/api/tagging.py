"""`predict`: tag texts with a trained model, in batches shared among the cores; `read_texts` and
`read_batches`: the texts to tag from an argument, a file (one article, or a corpus, read batch by
batch so that memory does not grow with it) or stdin."""

from __future__ import annotations

import sys
from collections.abc import Iterator, Sequence
from dataclasses import replace
from functools import partial
from pathlib import Path

import numpy as np

from classifier.corpus.articles import iter_articles, load_articles
from classifier.corpus.reader import OnError, file_kind, is_corpus_file, read_text, repair_surrogates
from classifier.errors import DataError
from classifier.model import TagModel
from classifier.parallel import map_texts
from classifier.progress import Progress, no_progress
from classifier.types import Corpus, Prediction

NO_KNOWN_WORDS = "no known words: the text has no word the model learned, so no tag is given"


def read_texts(text: str | None = None, file: str | Path | None = None, *, text_col: str = "text",
               title_col: str | None = "title", id_col: str | None = None,
               section_col: str | None = "section") -> Corpus:
    """The texts to tag, as an unlabeled `Corpus`: `text` itself ("-" or None with no file: stdin),
    or `file`, a saved page or plain-text article (one text, cleaned as `import` cleans pages; any
    suffix but a corpus's; .gz and Windows-1252 allowed) or a JSONL/CSV/Parquet corpus (one text per
    record, skipped records listed). A text with lone surrogates (an argument whose bytes were not
    UTF-8 comes so from the shell) has them replaced by U+FFFD and is listed in `repaired`."""
    if text is not None and file is not None:
        raise DataError("give either a TEXT argument or --file, not both")
    if file is not None:
        file = Path(file)
        if is_corpus_file(file):
            return load_articles(file, text_col=text_col, title_col=title_col, section_col=section_col, id_col=id_col,
                                 tags_col=None, require_tags=False, merge_variants=False)
        content, _ = read_text(file)
        if not content.strip():
            raise DataError(f"{file}: the file is empty")
        page = _page_text(content, file, with_section=section_col is not None)
        fixed = repair_surrogates(page)  # an HTML page's JSON-LD may escape them
        return Corpus(str(file), [file.stem], [fixed], [[]], has_tags=False,
                      repaired=[str(file)] if fixed != page else [])
    if text is None or text == "-":
        text = _read_stdin()
    if not text.strip():
        raise DataError("the text is empty; give an article's title and body")
    fixed = repair_surrogates(text)
    return Corpus("<text>", ["1"], [fixed], [[]], has_tags=False, repaired=["the text"] if fixed != text else [])


def _page_text(content: str, file: Path, *, with_section: bool = True) -> str:
    """A saved page's article as `import` reads it (title with its section word, then the body without
    the tag line, the related-article blocks and the site's furniture); a text that is not a page, as it is."""
    from classifier.corpus.pages import parse_html_page, parse_text_page
    from classifier.errors import ParseError

    parse = parse_html_page if file_kind(file) == "html" else parse_text_page
    try:
        page = parse(content, source=str(file))
    except ParseError:
        return content
    from classifier.corpus.articles import article_text

    return article_text(page.title, page.text, page.section if with_section else None)


def read_batches(text: str | None = None, file: str | Path | None = None, *, batch_size: int = 10000,
                 text_col: str = "text", title_col: str | None = "title", id_col: str | None = None,
                 section_col: str | None = "section",
                 on_error: OnError = "raise") -> Iterator[Corpus]:
    """As `read_texts`, but a corpus file comes as consecutive batches of at most `batch_size`
    articles, read as they are needed."""
    if file is not None and text is None and is_corpus_file(file):
        yield from iter_articles(file, batch_size=batch_size, text_col=text_col, title_col=title_col,
                                 section_col=section_col, id_col=id_col, tags_col=None, require_tags=False,
                                 on_error=on_error)
    else:
        yield read_texts(text, file, text_col=text_col, title_col=title_col, id_col=id_col, section_col=section_col)


def _read_stdin() -> str:
    if sys.stdin is None or sys.stdin.isatty():
        raise DataError("no text: pass TEXT, --file PATH, or pipe the article on stdin")
    try:
        return sys.stdin.buffer.read().decode("utf-8") if hasattr(sys.stdin, "buffer") else sys.stdin.read()
    except UnicodeDecodeError as exc:
        raise DataError(f"stdin: not valid UTF-8 (byte {exc.start})") from None


def predict(model: TagModel, texts: Sequence[str], *, ids: Sequence[str] | None = None, top_k: int | None = None,
            threshold: float | None = None, min_share: float | None = None, n_scores: int = 10,
            explain: int = 0, batch_size: int = 20000, progress: Progress | None = None) -> list[Prediction]:
    """Tag `texts`. Each `Prediction` has the decided tags and the scores of its `n_scores` best
    tags (at least every decided tag), decided ones first, each list ranked by score; a tag is
    decided when its score reaches `threshold` (default 0.5, each tag's tuned threshold), at most
    `top_k` of them; if none does, the model's `min_tags` best are given and a `note` says so. The
    calibrated probabilities of the same tags come beside the scores. `top_k`, `threshold` and
    `min_share` are `TagModel.decide`'s options. A text with no word the model knows gets no tag
    and a `note`. `explain=N` adds each listed tag's evidence: the N words of the text that raised
    its raw score most and the N that lowered it most, each with its exact share (`model.explain`)."""
    progress = progress or no_progress
    if isinstance(texts, str):
        raise DataError("texts must be a list of strings; wrap a single text in a list")
    ids = [str(i) for i in ids] if ids is not None else [str(i + 1) for i in range(len(texts))]
    if len(ids) != len(texts):
        raise DataError(f"{len(texts)} texts but {len(ids)} ids")
    out: list[Prediction] = []
    if isinstance(explain, bool) or not isinstance(explain, int) or explain < 0:
        raise DataError(f"explain must be a whole number of words >= 0; got {explain!r}")
    names = model.__dict__.get("_names")
    if names is None:  # once per model and process: a single text's prediction should not pay for it
        names = model.__dict__["_names"] = [str(c) for c in model.classes_]
    tag_chunk = partial(_tag_chunk, model, names, threshold, top_k, min_share, n_scores, explain)
    for start in range(0, len(texts), batch_size):
        progress("tagging", start, len(texts))
        batch = list(zip(ids[start:start + batch_size], texts[start:start + batch_size]))
        if len(batch) >= model.row_batch_limit:
            _ = model.coef_  # decoded once, before forking, so that worker processes inherit it
        # Each process scores, decides and formats its share of the batch.
        for part in map_texts(tag_chunk, batch, n_jobs=model.worker_count()):
            out.extend(part)
    progress("tagging", len(texts), len(texts))
    return out


def _tag_chunk(model: TagModel, classes: list[str], threshold: float | None, top_k: int | None,
               min_share: float | None, n_scores: int, explain: int, batch: Sequence[tuple[str, str]]
               ) -> list[Prediction]:
    texts = [t for _, t in batch]
    known: list[int] = []
    raw = model.scores_in_process(texts, known=known)
    proba = model.scores_to_proba(raw)
    scores = model.decision_scores(raw, min_share=min_share, proba=proba)
    decided = model.decide(raw, threshold=threshold, top_k=top_k, scores=scores)
    cut = 0.5 if threshold is None else threshold
    passed = (scores >= cut).sum(axis=1)
    unknown = np.asarray(known) == 0
    decided[unknown] = False  # no word the model knows: its scores say nothing of the text
    out = _predictions([i for i, _ in batch], classes, decided, scores, proba, raw - model.thresholds_, n_scores)
    for i in np.flatnonzero(unknown).tolist():
        out[i] = replace(out[i], tags=[], note=NO_KNOWN_WORDS)
    for i in np.flatnonzero(~unknown & (decided.sum(axis=1) > passed)).tolist():
        out[i] = replace(out[i], note=_min_tags_note(int(passed[i]), cut, len(out[i].tags), model.min_tags))
    if explain:
        from classifier.model.explain import evidence

        shown = [list(p.scores) for p in out]
        for i, ev in enumerate(evidence(model, texts, shown, top_n=explain)):
            out[i] = replace(out[i], evidence=ev)
    return out


def _min_tags_note(passed: int, cut: float, given: int, min_tags: int) -> str:
    """Why tags under the cut were given: the `min_tags` guarantee."""
    reached = "no tag" if passed == 0 else f"only {passed} tag{'s' if passed > 1 else ''}"
    best = "the best-scored tag is" if given == 1 else f"the {given} best-scored tags are"
    return f"{reached} reached {cut:g}; {best} given, as min_tags={min_tags} asks"


def _predictions(ids: Sequence[str], classes: list[str], decided: np.ndarray, scores: np.ndarray,
                 proba: np.ndarray, margin: np.ndarray, n_scores: int) -> list[Prediction]:
    """One `Prediction` per row: decided tags, and the scores and probabilities of the best `n_scores`
    tags plus every decided tag, decided first, then by score (equal scores by `margin`, as `decide`
    takes them), vectorised: one sort for the whole batch.
    Scores are rounded down to 4 places, so that no shown score reaches a cut its tag did not."""
    n, n_tags = scores.shape
    shown = decided.copy()
    k = min(n_scores, n_tags)
    if 0 < k < n_tags:
        np.put_along_axis(shown, np.argpartition(-scores, k - 1, axis=1)[:, :k], True, axis=1)
    elif k == n_tags:
        shown[:] = True
    rows, cols = np.nonzero(shown)
    values, is_decided = scores[rows, cols], decided[rows, cols]
    order = np.lexsort((-margin[rows, cols], -values, ~is_decided, rows))
    rows, cols, is_decided = rows[order], cols[order], is_decided[order]
    values = np.floor(values[order].astype(np.float64) * 1e4) / 1e4
    probs = np.round(proba[rows, cols].astype(np.float64), 4)
    bounds = np.searchsorted(rows, np.arange(n + 1))
    names = [classes[c] for c in cols.tolist()]
    value_list, prob_list, flag_list = values.tolist(), probs.tolist(), is_decided.tolist()
    out = []
    for i in range(n):
        a, b = bounds[i], bounds[i + 1]
        tags = [names[j] for j in range(a, b) if flag_list[j]]
        out.append(Prediction(ids[i], tags, dict(zip(names[a:b], value_list[a:b])),
                              probability=dict(zip(names[a:b], prob_list[a:b]))))
    return out
