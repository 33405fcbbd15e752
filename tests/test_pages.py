from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from classifier.corpus.pages import DEFAULT_PROFILE, PageProfile, parse_date, parse_html_page, parse_text_page
from classifier.errors import ParseError

PAGES = Path(__file__).parent / "fixtures" / "pages"


def page(name: str) -> str:
    return (PAGES / name).read_text(encoding="utf-8")


def test_seed_page(shared_file):
    a = parse_text_page(shared_file("seeds/000_1e0087e37c6009fe.txt").read_text(encoding="utf-8"))
    assert a.title == "Le Maroc et Israël font le point de leur coopération militaire"
    assert a.date == "2022-07-19" and a.section == "Monde" and a.author == "P. A"
    assert a.tags == ["Coopération", "Israël", "Défense", "Armement"]
    assert a.text.startswith("Le chef d’état-major de l’armée israélienne")
    assert a.text.endswith("du ministre de la Défense, Benny Gantz.")
    for junk in ("À lire", "Google News", "WhatsApp", "Aller plus loin", "Polisario", "Sujets associés"):
        assert junk not in a.text
    assert a.text.count("\n\n") == 4  # five paragraphs


def test_two_tags_other_label_and_separator():
    a = parse_text_page(page("deux_tags.txt"))
    assert a.tags == ["Eau", "Sécheresse"]
    assert a.date == "2023-03-03" and a.section == "Économie" and a.author == "Rédaction"
    assert "À lire" not in a.text and "Google News" not in a.text and "quarante" not in a.text
    assert a.text.endswith("d’ici vendredi.")


def test_missing_date_and_five_tags():
    a = parse_text_page(page("sans_date.txt"))
    assert a.date is None and a.section is None
    assert a.tags == ["Culture", "Tourisme", "Tanger", "Patrimoine", "Musées"]
    assert a.text.startswith("Le musée de la Kasbah")


def test_end_marker_above_the_article_is_skipped_not_taken_as_the_end():
    # Found by the property test below: a "Vous aimerez aussi" block above the body used to end the
    # article before it started, and the page was rejected for having no body.
    article = parse_text_page("Un titre\nVOUS AIMEREZ AUSSI\nUn paragraphe de texte.\nSujets associés : AA\n"
                              "VOUS AIMEREZ AUSSI\nUn autre article")
    assert article.text == "Un paragraphe de texte." and article.tags == ["AA"]


def test_no_tag_line():
    a = parse_text_page(page("sans_tags.txt"))
    assert a.tags == [] and a.date == "2023-08-12" and a.section == "Société"
    assert "Canicule" not in a.text


def test_extra_boilerplate():
    a = parse_text_page(page("boilerplate.txt"))
    assert a.tags == ["Royal Air Maroc", "Aviation"] and a.date == "2023-05-20" and a.author == "A. B"
    assert a.text == ("Royal Air Maroc ouvre quatre nouvelles lignes vers l’Afrique de l’Ouest dès juin.\n\n"
                      "La compagnie vise dix millions de passagers en 2024.")


def test_configurable_profile(tmp_path):
    text = "Titre\n\nCorps du texte.\n\nKeywords >> un | deux\n\nMore from us\n\nautre"
    assert parse_text_page(text).tags == []
    profile = PageProfile(tag_labels=["keywords >>"], tag_separators=[" | "], end_markers=["more from us"])
    assert parse_text_page(text.replace("Keywords >> ", "Keywords >>: "), profile=profile).tags == ["un", "deux"]
    p = tmp_path / "profile.json"
    p.write_text('{"tag_labels": ["mots"], "nope": 1}', encoding="utf-8")
    with pytest.raises(Exception, match="unknown profile keys"):
        PageProfile.load(p)


def test_html_meta_tags_and_article_body():
    a = parse_html_page(page("article.html"))
    assert a.title == "Le port de Tanger Med bat un record"
    assert a.tags == ["Tanger Med", "Ports"]
    assert a.date == "2023-01-05" and a.section == "Économie" and a.author == "M. C"
    assert a.url == "https://example.org/tanger-med-record"
    assert "huit millions" in a.text and "6 %" in a.text
    assert "Accueil" not in a.text and "À lire" not in a.text and "©" not in a.text


def test_html_json_ld_keywords():
    a = parse_html_page(page("jsonld.html"))
    assert a.title == "Les oliviers en danger" and a.tags == ["Agriculture", "Climat"] and a.date == "2023-09-01"


def test_parse_errors():
    with pytest.raises(ParseError, match="empty"):
        parse_text_page("  \n\n ")
    with pytest.raises(ParseError, match="no body"):
        parse_text_page("Juste un titre\n\nSujets associés : A - B")


def test_parse_date_forms():
    assert parse_date("1er janvier 2024") == "2024-01-01"
    assert parse_date("le 31/12/2023 à midi") == "2023-12-31"
    assert parse_date("30 février 2024") is None
    assert parse_date("rien") is None


lines = st.lists(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=80), max_size=12)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(lines)
def test_random_pages_raise_only_parse_errors(page_lines):
    try:
        parse_text_page("\n".join(page_lines))
    except ParseError:
        pass


tag_words = st.lists(st.from_regex(r"[A-Za-zÀ-ÿ][A-Za-zÀ-ÿ ']{0,15}[A-Za-zÀ-ÿ]", fullmatch=True), min_size=1,
                     max_size=6, unique=True)


@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(tags=tag_words, noise=lines, cut=st.integers(0, 12))
def test_tag_line_is_never_lost(tags, noise, cut):
    """A page with a tag line, mutated by random lines around it, always keeps its tags."""
    noise = [n for n in noise if not DEFAULT_PROFILE.tag_line.match(" ".join(n.split()))]
    body = noise[:cut] + ["Un paragraphe de texte."] + noise[cut:]
    text = "\n".join(["Un titre"] + body + ["Sujets associés : " + " - ".join(tags)] + noise)
    tags_clean = [" ".join(t.split()) for t in tags]
    try:
        article = parse_text_page(text)
    except ParseError:
        pytest.fail("a page with a title, a body line and a tag line must parse")
    assert article.tags == [t for i, t in enumerate(tags_clean) if t and t not in tags_clean[:i]]
