"""Records that cross module borders."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from classifier.fileio import csv_cell


@dataclass(frozen=True)
class Skipped:
    """A record that was read but not used, and why."""

    where: str  # "file:line" or "file:row N"
    reason: str


@dataclass
class Corpus:
    """Articles read from one file: parallel lists plus what was skipped or merged on the way.
    Training's corpus keeps no texts (they are read chunk by chunk): its ids count the articles."""

    path: str
    ids: list[str]
    texts: list[str]
    tags: list[list[str]]
    skipped: list[Skipped] = field(default_factory=list)
    tag_merges: dict[str, str] = field(default_factory=dict)  # variant spelling -> kept spelling
    has_tags: bool = True
    repaired: list[str] = field(default_factory=list)  # "file:line" of records whose lone surrogates became U+FFFD
    numbered: int = 0  # articles without an id, given their line's number instead
    dates: list[str] = field(default_factory=list)  # each article's date field as written ("" if none); [] unread

    def __len__(self) -> int:
        return len(self.ids)


@dataclass(frozen=True)
class Prediction:
    """Tags decided for one text, and its best tags' scores (tag -> score in [0, 1], 0.5 at the tag's
    tuned threshold; decided tags first, then by score) and calibrated probabilities (same tags)."""

    id: str
    tags: list[str]
    scores: dict[str, float]
    note: str | None = None  # why the tags are what they are, when it needs saying
    probability: dict[str, float] = field(default_factory=dict)
    # tag -> [(word, weight), ...]: each word's exact share of the tag's raw score, the words that
    # raised it first (largest first), then those that lowered it (most negative first); filled
    # when asked for (`predict(..., explain=True)`), for the tags in `scores`.
    evidence: dict[str, list[tuple[str, float]]] = field(default_factory=dict)

    def to_dict(self) -> dict:
        out = {"id": self.id, "tags": list(self.tags), "scores": dict(self.scores)}
        if self.probability:
            out["probability"] = dict(self.probability)
        if self.evidence:
            out["evidence"] = {t: [{"word": w, "weight": round(v, 6)} for w, v in ev]
                               for t, ev in self.evidence.items()}
        return {**out, "note": self.note} if self.note else out

    def to_json(self) -> str:
        """One JSON line (no line break): the form `--format jsonl` writes and score.py reads."""
        return json.dumps(self.to_dict(), ensure_ascii=False)

    def csv_row(self) -> list[str]:
        """[id, tags joined by |, scores as JSON]: the form `--format csv` writes, each cell safe in
        a spreadsheet (text that starts like a formula gets a leading apostrophe)."""
        return [csv_cell(c) for c in (self.id, "|".join(self.tags), json.dumps(self.scores, ensure_ascii=False))]


@dataclass
class Article:
    """One article as imported from a page or a row: the schema written by `classifier import`."""

    id: str
    title: str
    text: str
    tags: list[str] = field(default_factory=list)
    date: str | None = None  # ISO YYYY-MM-DD
    section: str | None = None
    author: str | None = None
    url: str | None = None
    source: str | None = None  # file (and line) it came from

    def to_dict(self) -> dict:
        return {k: v for k, v in vars(self).items() if v not in (None, "")}
