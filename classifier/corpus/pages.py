"""Saved article pages -> `Article`: plain text as scrapers and "save as text" produce it, and HTML.

Nothing here is tied to one site: the tag line's labels, the tag separator, where the body stops and
which lines inside it are boilerplate all come from a `PageProfile`. The default profile fits
French news sites such as bladi.net ("Sujets associés : A - B - C", "À lire : ...", "Aller plus
loin", "Suivez ... sur Google News").
"""

from __future__ import annotations

import datetime as _dt
import json
import re
import unicodedata
from dataclasses import dataclass, field, fields
from pathlib import Path

from classifier.errors import DataError, ParseError
from classifier.types import Article

MONTHS = {"janvier": 1, "février": 2, "fevrier": 2, "mars": 3, "avril": 4, "mai": 5, "juin": 6, "juillet": 7,
          "août": 8, "aout": 8, "septembre": 9, "octobre": 10, "novembre": 11, "décembre": 12, "decembre": 12,
          "january": 1, "february": 2, "march": 3, "april": 4, "may": 5, "june": 6, "july": 7, "august": 8,
          "september": 9, "october": 10, "november": 11, "december": 12}
_DATE_WORDS = re.compile(r"\b(\d{1,2})(?:er)?\s+([^\W\d_]+)\s+(\d{4})\b")
_DATE_ISO = re.compile(r"(?<!\d)(\d{4})-(\d{2})-(\d{2})(?!\d)")
_DATE_SLASH = re.compile(r"\b(\d{1,2})/(\d{1,2})/(\d{4})\b")


@dataclass(frozen=True)
class PageProfile:
    """How a site lays out a saved page. Every field is a list of regular expressions (case-insensitive),
    except `tag_separators` (plain strings, tried in order)."""

    tag_labels: list[str] = field(default_factory=lambda: [
        r"sujets? associés?", r"tags?", r"mots[- ]clés?", r"thèmes?", r"topics?", r"étiquettes?"])
    tag_separators: list[str] = field(default_factory=lambda: [" - ", " – ", ",", ";", "|", " / "])
    # A line matching one of these ends the body (site furniture, related articles).
    end_markers: list[str] = field(default_factory=lambda: [
        r"aller plus loin\b", r"ces articles devraient vous intéresser", r"sur le même sujet", r"à lire aussi$",
        r"lire aussi$", r"articles? similaires?", r"vous aimerez aussi", r"partager (cet|l')article",
        r"suivez .{1,60} sur (google news|whatsapp|facebook|twitter|x|instagram|telegram)",
        r".{0,40}sur (google news|whatsapp)\b"])
    # Lines inside the body that are not the article (teasers, calls to action).
    skip_lines: list[str] = field(default_factory=lambda: [
        r"(à|a) lire\s*:", r"lire aussi\s*:", r"voir aussi\s*:", r"(à|a) voir aussi\s*:", r"publicité$",
        r"(cliquez|abonnez-vous)\b"])
    # The line after the title, when it matches, carries date, time, section and author.
    author_prefix: str = r"(?:é|e)crit par|par|publié par|by"
    meta_separator: str = " - "

    @classmethod
    def load(cls, path: str | Path) -> PageProfile:
        """A profile from a JSON file whose keys are field names; missing keys keep their default."""
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise DataError(f"{path}: cannot read the page profile ({exc})") from None
        known = {f.name for f in fields(cls)}
        unknown = set(data) - known if isinstance(data, dict) else {"<not an object>"}
        if unknown:
            raise DataError(f"{path}: unknown profile keys {sorted(unknown)}; allowed: {sorted(known)}")
        return cls(**data)

    def _any(self, patterns: list[str]) -> re.Pattern:
        return re.compile("^(?:" + "|".join(f"(?:{p})" for p in patterns) + ")", re.I)

    @property
    def tag_line(self) -> re.Pattern:
        return re.compile(r"^\s*(?:" + "|".join(self.tag_labels) + r")\s*:\s*(?P<tags>.+?)\s*$", re.I)


DEFAULT_PROFILE = PageProfile()


def parse_date(text: str) -> str | None:
    """The first date in `text` as ISO YYYY-MM-DD ('19 juillet 2022', '2022-07-19', '19/07/2022')."""
    for match in _DATE_WORDS.finditer(text):
        month = MONTHS.get(match.group(2).lower())
        if month:
            return _iso(int(match.group(3)), month, int(match.group(1)))
    match = _DATE_ISO.search(text)
    if match:
        return _iso(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    match = _DATE_SLASH.search(text)
    if match:
        return _iso(int(match.group(3)), int(match.group(2)), int(match.group(1)))
    return None


def _iso(year: int, month: int, day: int) -> str | None:
    try:
        return _dt.date(year, month, day).isoformat()
    except ValueError:
        return None


def split_tag_line(value: str, profile: PageProfile) -> list[str]:
    sep = next((s for s in profile.tag_separators if s in value), None)
    parts = value.split(sep) if sep else [value]
    tags = (" ".join(unicodedata.normalize("NFC", part).split()).strip(" .;,") for part in parts)
    return [tag for tag in dict.fromkeys(tags) if tag]


def _parse_meta(line: str, profile: PageProfile) -> tuple[str | None, str | None, str | None]:
    date = parse_date(line)
    if date is None:
        return None, None, None
    section = author = None
    author_re = re.compile(rf"^(?:{profile.author_prefix})\s*:?\s*(?P<who>.+)$", re.I)
    for part in (p.strip() for p in line.split(profile.meta_separator.strip())):
        found = author_re.match(part)
        if found:
            author = found.group("who").strip()
        elif part and not parse_date(part) and not re.fullmatch(r"\d{1,2}\s*[h:]\s*\d{2}", part):
            section = section or part
    return date, section, author


def parse_text_page(text: str, *, profile: PageProfile = DEFAULT_PROFILE, source: str = "",
                    article_id: str | None = None) -> Article:
    """A plain-text saved page -> Article (title, date, section, author, body, tags).

    Raises `ParseError` when there is no title or no body. A page with no tag line gets no tags.
    """
    if not isinstance(text, str):
        raise ParseError(f"{source or 'page'}: expected text, got {type(text).__name__}")
    lines = [" ".join(line.split()) for line in unicodedata.normalize("NFC", text.replace("\r", "\n")).split("\n")]
    lines = [line for line in lines if line]
    if not lines:
        raise ParseError(f"{source or 'page'}: the page is empty")
    title, rest = lines[0], lines[1:]
    date = section = author = None
    if rest:
        date, section, author = _parse_meta(rest[0], profile)
        if date is not None:
            rest = rest[1:]
    tag_line, end, skip = profile.tag_line, profile._any(profile.end_markers), profile._any(profile.skip_lines)
    tags: list[str] = []
    body: list[str] = []
    ended = False
    for line in rest:
        found = tag_line.match(line)
        if found:
            if not tags:
                tags = split_tag_line(found.group("tags"), profile)
            ended = True
            continue
        if ended:
            continue
        if end.match(line):
            ended = bool(body)  # an end marker before any body text is boilerplate above the article
            continue
        if not skip.match(line):
            body.append(line)
    if not body:
        raise ParseError(f"{source or 'page'}: no body text after the title {title[:60]!r}")
    return Article(id=article_id or "", title=title, text="\n\n".join(body), tags=tags, date=date,
                   section=section, author=author, source=source or None)


def _jsonld_objects(soup) -> list[dict]:
    out: list[dict] = []
    for node in soup.find_all("script", type="application/ld+json"):
        try:
            data = json.loads(node.string or "")
        except (json.JSONDecodeError, TypeError, RecursionError):  # a 100,000-deep value costs only itself
            continue
        stack = data if isinstance(data, list) else [data]
        while stack:
            item = stack.pop()
            if isinstance(item, dict):
                out.append(item)
                stack.extend(v for v in item.get("@graph", []) if isinstance(v, dict))
    return out


def parse_html_page(html: str, *, profile: PageProfile = DEFAULT_PROFILE, source: str = "",
                    article_id: str | None = None) -> Article:
    """A saved HTML page -> Article. Tags come from <meta property="article:tag">, JSON-LD keywords,
    <meta name="keywords">, or a tag block ("Sujets associés", "Tags") in the page, in that order;
    the body from the <article> element (else <main>, else the page's paragraphs)."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(html, "html.parser")
    meta = {}
    for node in soup.find_all("meta"):
        key = (node.get("property") or node.get("name") or "").lower()
        if key and node.get("content") and key not in meta:
            meta[key] = node["content"].strip()
    ld = _jsonld_objects(soup)
    ld_article = next((o for o in ld if "headline" in o or "articleBody" in o), {})

    title = meta.get("og:title") or ld_article.get("headline") or ""
    if not title:
        h1 = soup.find("h1")
        title = h1.get_text(" ", strip=True) if h1 else (soup.title.get_text(strip=True) if soup.title else "")

    tags = [" ".join(n["content"].split()) for n in soup.find_all("meta", attrs={"property": "article:tag"})
            if n.get("content")]
    if not tags:
        keywords = ld_article.get("keywords") or next((o.get("keywords") for o in ld if o.get("keywords")), None)
        if isinstance(keywords, str):
            tags = split_tag_line(keywords, profile)
        elif isinstance(keywords, list):
            tags = [str(k).strip() for k in keywords if str(k).strip()]
    if not tags and meta.get("keywords"):
        tags = split_tag_line(meta["keywords"], profile)
    container = soup.find("article") or soup.find("main") or soup.body or soup
    for junk in container.find_all(["script", "style", "nav", "aside", "footer", "form", "noscript", "figure"]):
        junk.decompose()
    blocks = [" ".join(n.get_text(" ", strip=True).split()) for n in container.find_all(["p", "h2", "h3", "li"])]
    if not any(blocks):
        blocks = [line for line in container.get_text("\n", strip=True).split("\n")]
    text_page = "\n".join([title or "untitled"] + [b for b in blocks if b])
    parsed = parse_text_page(text_page, profile=profile, source=source, article_id=article_id)
    date = parse_date(meta.get("article:published_time", "") or str(ld_article.get("datePublished", ""))) \
        or parsed.date
    section = meta.get("article:section") or ld_article.get("articleSection") or parsed.section
    author = meta.get("author") or parsed.author
    if isinstance(ld_article.get("author"), dict):
        author = author or ld_article["author"].get("name")
    url = meta.get("og:url") or (soup.find("link", rel="canonical") or {}).get("href")
    return Article(id=article_id or "", title=title or parsed.title, text=parsed.text, tags=tags or parsed.tags,
                   date=date, section=section if isinstance(section, str) else None,
                   author=author if isinstance(author, str) else None, url=url, source=source or None)
