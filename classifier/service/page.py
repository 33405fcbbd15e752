"""The editor's page served at `/` (a placeholder: the desk branch writes the real page)."""

from __future__ import annotations


def editor_page() -> str:
    """The page's HTML, one self-contained string."""
    return ("<!doctype html><html lang=\"fr\"><head><meta charset=\"utf-8\"><title>Tagger</title></head>"
            "<body><h1>Tagger</h1><p>POST an article to /v1/tag; see /openapi.json.</p></body></html>")
