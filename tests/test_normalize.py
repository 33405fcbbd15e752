import re

from classifier.text.normalize import (
    FRENCH_STOP_WORDS,
    TOKEN_PATTERN,
    fold_accents,
    normalize_en,
    normalize_fr,
    prepare_fr,
    weight_title,
)


def test_normalize_fr_apostrophes_elisions_case():
    assert normalize_fr("L’Armée qu’il jusqu’à d'Israël") == "armée il à israël"
    assert normalize_fr("C‘est l`heure") == "est heure"


def test_normalize_fr_nfc():
    decomposed = "Israe\u0308l"
    assert normalize_fr(decomposed) == "israël"


def test_normalize_fr_keeps_words_that_look_elided():
    assert normalize_fr("aujourd'hui presqu'île") == "aujourd'hui presqu'île"


def test_prepare_fr_gives_the_same_words_as_normalize_fr():
    stop = {prepare_fr(w) for w in FRENCH_STOP_WORDS}
    text = "Lorsqu’il l’a vu, jusqu’à l’aube, qu’elle d’abord s’est tue puisqu’on n’y croit. Quoiqu’il arrive"
    words = [w for w in re.findall(TOKEN_PATTERN, prepare_fr(text)) if w not in stop]
    reference = [w for w in re.findall(TOKEN_PATTERN, normalize_fr(text)) if w not in stop]
    assert words == reference
    assert "lorsqu" not in words and "abord" in words


def test_normalize_en_and_fold_accents():
    assert normalize_en("Hello WORLD") == "hello world"
    assert fold_accents("Israël Économie") == "Israel Economie"


def test_weight_title_repeats_the_first_line_only():
    assert weight_title("Titre\nCorps du texte", 2) == "Titre\nTitre\nCorps du texte"
    assert weight_title("Titre\nCorps", 3) == "Titre\nTitre\nTitre\nCorps"
    assert weight_title("Titre\nCorps", 1) == "Titre\nCorps"
    assert weight_title("une seule ligne", 2) == "une seule ligne"  # no title to tell apart
    assert weight_title("\nCorps sans titre", 2) == "\nCorps sans titre"
