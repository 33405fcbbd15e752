"""Jobs on corpora rather than models: `stats` (counts, tag variants, duplicates) and
`import_corpus` (saved pages and exports into one JSONL corpus)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from classifier.corpus.articles import DEFAULT_TRAIN, load_articles
from classifier.corpus.ingest import Columns, ImportReport, import_paths
from classifier.corpus.pages import DEFAULT_PROFILE, PageProfile
from classifier.corpus.stats import corpus_stats
from classifier.corpus.tagmap import apply_tag_map, load_tag_map
from classifier.progress import Progress, no_progress


def stats(data: str | Path | None = None, *, tag_map: str | Path | None = None, near_threshold: float = 0.9,
          text_col: str = "text", title_col: str | None = "title", tags_col: str = "tags",
          id_col: str | None = None, date_col: str = "date", progress: Progress | None = None) -> dict[str, Any]:
    """Everything `classifier stats` reports on `data` (default: the bundled training split), as plain
    data; `tag_map` (a from,to CSV) is applied first. Tag spellings are not merged, so that their
    variants show. `progress` hears the long stages: reading, then the duplicate search's
    (vectorising, signatures, candidates, verifying)."""
    progress = progress or no_progress
    corpus = load_articles(data or DEFAULT_TRAIN, text_col=text_col, title_col=title_col, tags_col=tags_col,
                           id_col=id_col, merge_variants=False, progress=progress, date_col=date_col,
                           section_col=None)  # duplicates by their words alone
    progress("reading", len(corpus), len(corpus))
    if tag_map:
        corpus.tags = apply_tag_map(corpus.tags, load_tag_map(tag_map))
    return corpus_stats(corpus, near_threshold=near_threshold, progress=progress)


def import_corpus(paths: list[str | Path], out: str | Path, *, profile: str | Path | None = None,
                  tag_map: str | Path | None = None, dedupe: str = "exact", near_threshold: float = 0.9,
                  require_tags: bool = True, text_col: str = "text", title_col: str = "title",
                  tags_col: str = "tags", id_col: str | None = None, tag_sep: str | None = None,
                  progress: Progress | None = None) -> ImportReport:
    """`classifier import`: `paths` into the JSONL corpus `out`, with the page `profile` (a JSON file;
    default: French news sites), the `tag_map` CSV and the column names of tabular exports, as
    `corpus.ingest.import_paths` does."""
    columns = Columns(text=text_col, title=title_col, tags=tags_col, id=id_col or "id", tag_sep=tag_sep,
                      id_named=id_col is not None)
    return import_paths(paths, out, profile=PageProfile.load(profile) if profile else DEFAULT_PROFILE,
                        columns=columns, tag_map=load_tag_map(tag_map) if tag_map else None, dedupe=dedupe,
                        near_threshold=near_threshold, require_tags=require_tags, progress=progress)
