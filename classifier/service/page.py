"""The editor's page served at `/`: one self-contained HTML file, `editor.html` beside this module
(inline CSS and JavaScript; no external script, font or style, so it works with no network).

An editor pastes an article, the page asks `POST /v1/tag` (explain on) for the ranked tags and
shows the suggested (decided) ones apart from the other candidates, each with a score bar; clicking
a tag marks the words behind it in a read-only view of the text. The editor keeps or rejects each
suggested tag, adds tags (`GET /v1/tags` fills the list of learned tags) and sends the verdict to
`POST /v1/feedback`. The page's script inserts every model or user string as text, never as HTML.
"""

from __future__ import annotations

from functools import cache
from importlib.resources import files


@cache
def editor_page() -> str:
    """The page's HTML (read once per process from the installed package)."""
    return files("classifier.service").joinpath("editor.html").read_text(encoding="utf-8")
