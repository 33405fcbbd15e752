"""The shapes of the service's requests and responses (they make /openapi.json)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

MAX_DOCUMENTS = 1000  # per /v1/tag-batch request; more is refused with 413


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class TagRequest(Strict):
    text: str = Field(description="The article's body (the title goes in `title`, or as the first line).")
    title: str | None = Field(None, description="The title, joined before the body with a newline, as the corpus "
                              "reader joins them.")
    section: str | None = Field(None, description="The site's section (\"Politique\"): one more word of the title "
                                "when the model learned sections, as `--section-col`.")
    explain: bool = Field(False, description="Add each listed tag's evidence: the words that raised and lowered "
                          "its raw score most, with their exact shares.")
    top_k: int | None = Field(None, ge=1, description="Decide at most this many tags (the first of the ranking "
                              "that reach the cut), as `classifier predict --top-k`.")


class Evidence(BaseModel):
    word: str
    weight: float = Field(description="The word's TF-IDF value times the tag's weight: its exact share of the raw "
                          "score (negative: it lowered the score).")


class TagScore(BaseModel):
    tag: str
    score: float = Field(description="In [0, 1]; 0.5 at the tag's own tuned threshold.")
    decided: bool = Field(description="The tag is given (score >= 0.5, or the min_tags guarantee).")
    probability: float | None = Field(None, description="The calibrated probability (held-out Platt scaling).")
    evidence: list[Evidence] | None = Field(None, description="Only with explain: positives (largest first), then "
                                            "negatives (most negative first).")


class TagResponse(BaseModel):
    model: str = Field(description="The run that answered.")
    tags: list[TagScore] = Field(description="Decided tags first, then by score: the ten best and every decided one.")
    note: str | None = Field(None, description="Why the tags are what they are, when it needs saying.")


class Document(Strict):
    id: str | None = Field(None, description="Your id for the article (default: its position, from 1).")
    text: str
    title: str | None = None
    section: str | None = None


class BatchRequest(Strict):
    documents: list[Document] = Field(description=f"At most {MAX_DOCUMENTS} articles (and the body size limit).")
    explain: bool = False
    top_k: int | None = Field(None, ge=1)


class BatchResult(BaseModel):
    id: str
    tags: list[TagScore]
    note: str | None = None


class BatchResponse(BaseModel):
    model: str = Field(description="The run that answered every document of the request.")
    results: list[BatchResult]


class FeedbackRequest(Strict):
    id: str = Field(description="The article's id: a later event for the same id replaces this one.")
    title: str | None = None
    section: str | None = Field(None, description="The article's section, learned with it on retraining.")
    text: str
    accepted: list[str] = Field(default_factory=list, description="Suggested tags the editor kept.")
    rejected: list[str] = Field(default_factory=list, description="Suggested tags the editor removed.")
    added: list[str] = Field(default_factory=list, description="Tags the editor added.")
    model: str | None = Field(None, description="The run whose suggestions the editor judged (default: the "
                              "current one).")


class FeedbackResponse(BaseModel):
    recorded: bool
    id: str
    tags: list[str] = Field(description="The article's tags now: accepted + added, minus rejected.")


class ReloadRequest(Strict):
    run: str | None = Field(None, description="A run folder, or a run's name under the artifacts root (default: "
                            "the newest run, artifacts/latest).")


class ReloadResponse(BaseModel):
    model: str
    previous: str | None
    run_dir: str
    workers: str


class Problem(BaseModel):
    """An error, as RFC 9457 application/problem+json."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str
