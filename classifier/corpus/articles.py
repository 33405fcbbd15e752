"""Labeled articles from a corpus file (read by `reader`), validated up front: `load_articles`.

Returns plain structures and never prints. Title and body are joined into one text; tags may be a
list or a delimited string; tag spellings that differ only by case or accents are merged.
"""

from __future__ import annotations

import ast
import json
import os
import re
import unicodedata
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from classifier.corpus.reader import OnError, Part, iter_records
from classifier.errors import DataError
from classifier.progress import Progress, no_progress
from classifier.text.normalize import fold_accents, prepare_fr
from classifier.types import Corpus, Skipped

_PACKAGE = Path(__file__).resolve().parent.parent
# The bundled corpus: inside the package when installed from a wheel, at the top of a checkout otherwise.
TRAINING_DATA = next((p for p in (_PACKAGE / "training_data", _PACKAGE.parent / "training_data")
                      if (p / "orangesum_train.jsonl.gz").exists()), _PACKAGE.parent / "training_data")
DEFAULT_TRAIN = TRAINING_DATA / "orangesum_train.jsonl.gz"
DEFAULT_TEST = TRAINING_DATA / "orangesum_test.jsonl.gz"

_TAG_SEPARATORS = ("|", ";", ",", " - ")
_NON_WORD = re.compile(r"[\W_]+")


def max_tags() -> int:
    """The most distinct tags one article may have: $CLASSIFIER_MAX_TAGS (default 1,000). Editors
    give a handful; thousands mean a wrong --tags-col or --tag-sep (a text split at its commas)."""
    return int(os.environ.get("CLASSIFIER_MAX_TAGS", 1000))


def split_tags(value: Any, where: str, sep: str | None = None) -> list[str]:
    """A tag field as a list of stripped, NFC-normalised, de-duplicated tags (in linear time).

    Accepts a list, a list written as a string (JSON, or Python's ['a', 'b']), or a delimited string
    (`sep`, or the first of | ; , ' - ' found in it). A list that holds anything but text (null, a
    number, a nested list), or more than `max_tags()` distinct tags, is refused, naming `where`.
    """
    if value is None:
        return []
    if isinstance(value, float) and value != value:  # pandas NaN
        return []
    if isinstance(value, str):
        value = _listed(value.strip(), sep)
    if hasattr(value, "tolist"):  # numpy array from Parquet
        value = value.tolist()
    if not isinstance(value, (list, tuple)):
        raise DataError(f"{where}: tags must be a list or a delimited string; got {type(value).__name__}")
    tags: dict[str, None] = {}  # a dict keeps the order and finds a repeat in constant time
    for tag in value:
        if not isinstance(tag, str):
            raise DataError(f"{where}: every tag must be text; got {tag!r} ({type(tag).__name__}) in {value!r}")
        tag = " ".join(unicodedata.normalize("NFC", tag).split())
        if tag:
            tags[tag] = None
    if len(tags) > (bound := max_tags()):
        raise DataError(f"{where}: {len(tags):,} tags on one article, over the bound of {bound:,}; is it the "
                        "tag column (--tags-col) and its separator (--tag-sep)? (raise CLASSIFIER_MAX_TAGS if "
                        "it is real)")
    return list(tags)


def _listed(text: str, sep: str | None) -> Any:
    """A string tag field as a list: parsed when written as a list, else split on its separator."""
    if text.startswith("[") and text.endswith("]"):
        try:
            return json.loads(text)
        except (json.JSONDecodeError, RecursionError):
            pass
        try:
            return ast.literal_eval(text)  # Python's repr of a list: ['a', 'b']; literals only
        except (ValueError, SyntaxError, MemoryError, RecursionError):
            text = text[1:-1]
    use = sep or next((s for s in _TAG_SEPARATORS if s in text), None)
    return text.split(use) if use else [text]


def merge_tag_variants(tag_lists: list[list[str]]) -> tuple[list[list[str]], dict[str, str]]:
    """Merge spellings that differ only by case or accents into the most frequent one.

    Returns the new tag lists and the merges made (variant -> kept spelling). Ties go to the
    spelling that sorts first, so the result is deterministic.
    """
    counts = Counter(t for tags in tag_lists for t in tags)
    groups: dict[str, list[str]] = {}
    for tag in counts:
        groups.setdefault(fold_accents(tag).casefold(), []).append(tag)
    merges: dict[str, str] = {}
    for spellings in groups.values():
        if len(spellings) > 1:
            keep = min(spellings, key=lambda t: (-counts[t], t))
            merges.update({t: keep for t in spellings if t != keep})
    if not merges:
        return tag_lists, merges
    merged = [list(dict.fromkeys(merges.get(t, t) for t in tags)) for tags in tag_lists]
    return merged, merges


def _field(record: dict, name: str | None) -> Any:
    if name is None:
        return None
    value = record.get(name)
    if isinstance(value, float) and value != value:
        return None
    return value


def _fields(record: dict) -> str:
    return ", ".join(map(repr, record))


def _missing_id(where: str, id_col: str, record: dict) -> DataError:
    return DataError(f"{where}: no field {id_col!r} (the --id-col); fields are {_fields(record)}; name the id "
                     "column with --id-col, or leave --id-col out to use 'id' and number articles without one")


def numbering_note(path: str | Path, numbered: int, total: int, id_col: str | None = None) -> str:
    """What to tell the user when `numbered` of `total` articles had no id and got their line's number."""
    return (f"{path}: {numbered} of {total} articles have no {id_col or 'id'!r} field, so each is named by "
            "its line number in the file (a Parquet file: its row number); name the id column with --id-col")


def _article(record: dict, where: str, text_col: str, tags_col: str | None, title_col: str | None,
             require_tags: bool, tag_sep: str | None, id_col: str | None = None,
             section_col: str | None = None) -> tuple[str, list[str]] | None:
    """(text, tags) of one record; None when it has no text; `DataError` when it cannot be used."""
    if id_col is not None and id_col not in record:
        raise _missing_id(where, id_col, record)
    if text_col not in record:  # a title alone is no article: a misspelt column would train on titles
        raise DataError(f"{where}: no field {text_col!r}; fields are {_fields(record)}; "
                        "name the text column with --text-col")
    has_tags = tags_col is not None and tags_col in record
    if require_tags and not has_tags:
        raise DataError(f"{where}: no field {tags_col!r}; fields are {_fields(record)}; "
                        "name the tag column with --tags-col")
    text = article_text(_field(record, title_col), _field(record, text_col), _field(record, section_col))
    if not text:
        return None
    tags = split_tags(_field(record, tags_col), f"{where}: field {tags_col!r}", tag_sep) if has_tags else []
    return text, tags


def article_text(title: Any, text: Any, section: Any = None) -> str:
    """The one text of an article, as every reader makes it: the title and the body, each stripped,
    the non-empty ones joined by a newline ("" when both are empty). A section ("Politique") becomes
    one word at the end of the title line, `section_word` (so it counts as much as the title); an
    article with a section and no text at all stays "", it is no article."""
    parts = [s for s in (str(p).strip() for p in (title, text) if p is not None) if s]
    word = section_word(section)
    if word and parts:
        if title is not None and str(title).strip():
            parts[0] = f"{parts[0]} {word}"
        else:
            parts.insert(0, word)
    return "\n".join(parts)


def section_word(section: Any) -> str:
    """The section as one word that no text holds: "Fait-divers" -> "section_fait_divers" ("" when
    empty). The word features learn it like any other word; a text without a section lacks it."""
    if section is None or isinstance(section, (dict, list)):
        return ""
    name = _NON_WORD.sub("_", prepare_fr(str(section))).strip("_")
    return f"section_{name}" if name else ""


def iter_articles(
    path: str | Path,
    *,
    batch_size: int = 10000,
    text_col: str = "text",
    tags_col: str | None = "tags",
    title_col: str | None = "title",
    section_col: str | None = "section",
    id_col: str | None = None,
    tag_sep: str | None = None,
    require_tags: bool = True,
    on_error: OnError = "raise",
    part: Part | None = None,
    date_col: str | None = "date",
) -> Iterator[Corpus]:
    """The corpus file as consecutive `Corpus` batches of at most `batch_size` articles, read as
    they are needed (memory does not grow with the file; tag spellings are not merged). Each batch
    lists the records skipped (and repaired, see `reader`) since the previous one, and counts in
    `numbered` its articles that had no id (numbered by their line). Errors as `load_articles`.
    `part` (from `reader.split`) reads one part of the file; a part may hold no article."""
    path = Path(path)
    batch = Corpus(str(path), [], [], [], has_tags=False)
    seen_text_col = False
    n_records = 0
    first_keys: list[str] = []
    skipped: list[Skipped] = []
    repaired: list[str] = []
    for where, record in iter_records(path, on_error=on_error, skipped=skipped, part=part, repaired=repaired):
        n_records += 1
        if n_records == 1:
            first_keys = list(record)
            if id_col is not None and id_col not in record:
                raise _missing_id(where, id_col, record)  # a misspelt column, not one bad record
        seen_text_col |= text_col in record
        batch.has_tags |= tags_col is not None and tags_col in record
        try:
            found = _article(record, where, text_col, tags_col, title_col, require_tags, tag_sep, id_col, section_col)
        except DataError as exc:
            if on_error == "raise":
                raise
            skipped.append(Skipped(where, str(exc).removeprefix(f"{where}: ")))
            found = False
        if found is None:
            skipped.append(Skipped(where, "no text (title and body are empty)"))
        elif found:
            raw_id = _field(record, id_col or "id")
            if raw_id is None or str(raw_id) == "":
                raw_id = where.rsplit(":", 1)[-1].removeprefix("row ")  # its line (a Parquet file: its row)
                batch.numbered += 1
            batch.ids.append(str(raw_id))
            if date_col is not None:
                raw_date = _field(record, date_col)
                batch.dates.append("" if raw_date is None else str(raw_date).strip())
            batch.texts.append(found[0])
            batch.tags.append(found[1])
        if len(batch) >= batch_size:
            batch.skipped, batch.repaired = skipped[:], repaired[:]
            skipped.clear()  # the reader appends to these very lists
            repaired.clear()
            yield batch
            batch = Corpus(str(path), [], [], [], has_tags=batch.has_tags)
    if n_records == 0 and part is None:
        if skipped:
            raise DataError(f"{path}: no readable article; {len(skipped)} skipped, first {skipped[0].where} "
                            f"({skipped[0].reason})")
        raise DataError(f"{path}: the file has no articles (it is empty)")
    if n_records and not seen_text_col and not batch.texts:
        raise DataError(f"{path}: no field {text_col!r} in any record; fields are {first_keys}")
    batch.skipped, batch.repaired = skipped[:], repaired[:]
    if len(batch) or batch.skipped:
        yield batch


def load_articles(
    path: str | Path,
    *,
    text_col: str = "text",
    tags_col: str | None = "tags",
    title_col: str | None = "title",
    section_col: str | None = "section",
    id_col: str | None = None,
    tag_sep: str | None = None,
    require_tags: bool = True,
    merge_variants: bool = True,
    on_error: OnError = "raise",
    progress: Progress | None = None,
    date_col: str | None = "date",
) -> Corpus:
    """Read a corpus file into a `Corpus`.

    Articles whose title and text are both empty are skipped and listed in `Corpus.skipped`.
    With `require_tags` the tags column must exist in every record (an empty list is allowed);
    otherwise tags are read when present.
    A malformed record raises `DataError` naming the file and line, or with `on_error="skip"` is
    skipped and listed in `Corpus.skipped` with its reason; one whose strings held a lone surrogate
    is read with U+FFFD in its place and listed in `Corpus.repaired`. Ids come from `id_col`, by
    default the field 'id' where a record has one; an article without an id is named by its line
    (counted in `Corpus.numbered`, see `numbering_note`). A named `id_col` that the first record
    lacks is a misspelt column: `DataError` whatever `on_error`; a later record that lacks it is
    malformed. `progress("reading", articles, 0)` is called as batches of articles are read.
    """
    progress = progress or no_progress
    corpus = Corpus(str(Path(path)), [], [], [], has_tags=False)
    progress("reading", 0, 0)
    for batch in iter_articles(path, text_col=text_col, tags_col=tags_col, title_col=title_col,
                               section_col=section_col, id_col=id_col,
                               tag_sep=tag_sep, require_tags=require_tags, on_error=on_error, date_col=date_col):
        corpus.ids += batch.ids
        corpus.dates += batch.dates
        corpus.texts += batch.texts
        corpus.tags += batch.tags
        corpus.skipped += batch.skipped
        corpus.repaired += batch.repaired
        corpus.has_tags |= batch.has_tags
        corpus.numbered += batch.numbered
        progress("reading", len(corpus), 0)
    if merge_variants and corpus.has_tags:
        corpus.tags, corpus.tag_merges = merge_tag_variants(corpus.tags)
    return corpus


class CorpusStream:
    """A corpus file as training reads it: the texts chunk by chunk, the file read again on each call
    to `texts()`, so that the texts are never all in memory (an `ArticleSource` for `TagModel`).

    The first read checks every record as `load_articles` does (a malformed one raises naming its
    line, or with `on_error="skip"` is skipped and listed in `skipped`) and keeps the ids and tags;
    at its end tag spellings are merged and `tag_map` (variant -> tag, "" drops it) is applied, as
    `load_articles` then `apply_tag_map` do. Later reads skip the same records and list none.

    `extra` (ids, texts and tags, e.g. the editors' corrected articles) come after the file's
    articles, on every read; a file article whose id is among them is left out (`replaced` counts
    them), so the extra one replaces it.
    """

    def __init__(self, path: str | Path, *, chunk_size: int = 10000, text_col: str = "text",
                 tags_col: str = "tags", title_col: str | None = "title", section_col: str | None = "section",
                 id_col: str | None = None, tag_sep: str | None = None, on_error: OnError = "raise",
                 tag_map: dict[str, str] | None = None, extra: Any = None):
        self.path = Path(path)
        self.extra = extra if extra is not None and len(extra.ids) else None
        self.replaced = 0
        self.chunk_size = chunk_size
        self.options = dict(text_col=text_col, tags_col=tags_col, title_col=title_col, section_col=section_col,
                            id_col=id_col, tag_sep=tag_sep, on_error=on_error)
        self.tag_map = tag_map
        self.ids: list[str] = []
        self.skipped: list[Skipped] = []
        self.repaired: list[str] = []
        self.tag_merges: dict[str, str] = {}
        self.has_tags = False
        self.numbered = 0
        self.reads = 0
        self._tags: list[list[str]] | None = None

    def texts(self) -> Iterator[list[str]]:
        """One read of the file: each chunk's texts (at most `chunk_size` articles)."""
        first = self._tags is None
        self.reads += 1
        tag_lists: list[list[str]] = []
        if first:  # (again, after a read cut short)
            self.ids, self.skipped, self.repaired, self.has_tags, self.replaced = [], [], [], False, 0
            self.numbered = 0
        replaced = set(self.extra.ids) if self.extra is not None else set()
        for batch in iter_articles(self.path, batch_size=self.chunk_size, **self.options):
            ids, texts, tags = batch.ids, batch.texts, batch.tags
            if replaced and not replaced.isdisjoint(ids):
                keep = [i for i, article_id in enumerate(ids) if article_id not in replaced]
                if first:
                    self.replaced += len(ids) - len(keep)
                ids, texts, tags = [ids[i] for i in keep], [texts[i] for i in keep], [tags[i] for i in keep]
            if first:
                self.ids += ids
                self.skipped += batch.skipped
                self.repaired += batch.repaired
                self.has_tags |= batch.has_tags
                self.numbered += batch.numbered
                tag_lists += tags
            del batch
            if texts:
                yield texts
        if self.extra is not None:
            if first:
                self.ids += self.extra.ids
                self.has_tags = True
                tag_lists += [list(t) for t in self.extra.tags]
            for start in range(0, len(self.extra.ids), self.chunk_size):
                yield list(self.extra.texts[start:start + self.chunk_size])
        if first:
            self._tags = self._final_tags(tag_lists)

    def _final_tags(self, tag_lists: list[list[str]]) -> list[list[str]]:
        if self.has_tags:
            tag_lists, self.tag_merges = merge_tag_variants(tag_lists)
        if self.tag_map:
            from classifier.corpus.tagmap import apply_tag_map

            tag_lists = apply_tag_map(tag_lists, self.tag_map)
        if not any(tag_lists):
            raise DataError(f"{self.path}: no article has tags; training needs labeled articles (see --tags-col)")
        return tag_lists

    def tags(self) -> list[list[str]]:
        """Every article's tags, merged and mapped; known once `texts()` has been read through."""
        if self._tags is None:
            raise RuntimeError("read texts() through once before asking for the tags")
        return self._tags

    def corpus(self) -> Corpus:
        """What was read, as a `Corpus` without the texts (ids, tags, skipped records, merges)."""
        return Corpus(str(self.path), self.ids, [], self.tags(), self.skipped, self.tag_merges, self.has_tags,
                      self.repaired, numbered=self.numbered)
