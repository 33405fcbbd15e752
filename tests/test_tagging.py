import pytest

from classifier import DataError, load_articles, load_model, predict


def test_train_result(trained):
    assert trained.model.classes_.size >= 5
    assert trained.manifest["tags_left_out"] == len(trained.model.dropped_tags_)
    assert 0 <= trained.manifest["validation"]["micro_f1"] <= 1


def test_predict_returns_tags_and_ten_scores(trained):
    model = load_model(trained.run_dir)
    preds = predict(model, ["Élections: le président américain en campagne aux USA", "Un concert de musique"],
                    ids=["a", "b"])
    assert [p.id for p in preds] == ["a", "b"]
    for p in preds:
        assert len(p.scores) >= min(10, len(model.classes_))
        assert set(p.tags) <= set(p.scores)
        assert list(p.scores.values()) == sorted(p.scores.values(), reverse=True)
    assert "USA" in preds[0].tags


def test_predict_top_k_and_threshold(trained):
    model = trained.model
    text = ["Le virus circule: épidémie, santé, hôpitaux, Chine, USA, élections et police"]
    assert len(predict(model, text, top_k=1)[0].tags) == 1
    loose = predict(model, text, threshold=0.01)[0].tags
    strict = predict(model, text, threshold=0.99)[0].tags
    assert len(loose) >= len(strict) >= 1


def test_predict_refuses_a_bare_string(trained):
    with pytest.raises(DataError):
        predict(trained.model, "texte")


def test_train_without_tags_fails_clearly(tmp_path):
    from classifier import train

    p = tmp_path / "a.jsonl"
    p.write_text('{"text": "un", "tags": []}\n{"text": "deux", "tags": []}\n')
    with pytest.raises(DataError, match="no article has tags"):
        train(p)


def test_a_corpus_streams_in_batches_with_the_same_predictions(trained, mini_path):
    from classifier import read_batches

    batches = list(read_batches(file=mini_path, batch_size=40))
    assert [len(b) for b in batches] == [40, 40, 40, 30]
    corpus = load_articles(mini_path)  # training keeps no texts
    whole = predict(trained.model, corpus.texts, ids=corpus.ids)
    streamed = [p for b in batches for p in predict(trained.model, b.texts, ids=b.ids)]
    assert [p.to_dict() for p in streamed] == [p.to_dict() for p in whole]


def test_skipped_records_come_with_their_batch(tmp_path, mini_path):
    from classifier import read_batches

    lines = mini_path.read_text(encoding="utf-8").splitlines()
    bad = tmp_path / "bad.jsonl"
    bad.write_text("\n".join(lines[:50] + ["not json"] + lines[50:]) + "\n", encoding="utf-8")
    batches = list(read_batches(file=bad, batch_size=40, on_error="skip"))
    assert sum(len(b) for b in batches) == 150
    assert [s.where.rsplit(":", 1)[1] for b in batches for s in b.skipped] == ["51"]
    assert batches[1].skipped and not batches[0].skipped


def test_a_text_with_no_known_word_gets_no_tag_and_says_why(trained, mini_path):
    texts = ["中文新闻报道没有法语单词", "\x00\x00\x00", load_articles(mini_path).texts[0]]
    out = predict(trained.model, texts)
    assert [p.tags for p in out[:2]] == [[], []] and all("no known words" in p.note for p in out[:2])
    assert out[2].tags and out[2].note is None and "note" not in out[2].to_dict()
    assert "no known words" in out[0].to_dict()["note"]


def test_a_saved_page_is_read_as_import_reads_it(tmp_path):
    import gzip

    from classifier import read_texts

    page = ("Le Maroc et Israël font le point\n19/07/2022 - Monde - P. A\n\nLe chef d’état-major est au Maroc.\n"
            "À lire : Le Polisario menace\nSujets associés : Coopération - Israël - Défense\nPartager sur WhatsApp\n")
    path = tmp_path / "page.txt.gz"
    path.write_bytes(gzip.compress(page.encode("cp1252", errors="replace")))
    text = read_texts(file=path).texts[0]
    assert text.startswith("Le Maroc et Israël font le point section_monde\n")  # the page's section, as a word
    assert "chef d’état-major" in text.replace("?", "’")
    for furniture in ("Sujets associés", "Polisario", "WhatsApp", "19/07/2022"):
        assert furniture not in text
    assert read_texts(file=path, section_col=None).texts[0].startswith("Le Maroc et Israël font le point\n")
    plain = tmp_path / "plain.txt"
    plain.write_text("Une ligne seule", encoding="utf-8")
    assert read_texts(file=plain).texts == ["Une ligne seule"]  # not a page: as it is


def _texts(trained) -> list[str]:
    """The corpus's texts and runs of four of their words (weak evidence: often no tag passes) that
    hold a word the model knows (a text without one gets no tag, and its own note)."""
    from tests.conftest import MINI

    texts = load_articles(MINI).texts  # training keeps no texts
    runs = [" ".join(t.split()[k:k + 4]) for t in texts for k in (0, 20, 40)]
    known: list[int] = []
    trained.model.scores_in_process(runs, known=known)
    return list(texts) + [t for t, n in zip(runs, known) if n]


def test_a_decided_tag_is_never_listed_below_an_undecided_one(trained):
    for p in predict(trained.model, _texts(trained)):
        flags = [t in p.tags for t in p.scores]
        assert flags == sorted(flags, reverse=True), p
        assert p.tags == [t for t in p.scores if t in p.tags]  # the same order in both
        values = list(p.scores.values())
        assert values == sorted(values, reverse=True), p  # ranked by score, decided and undecided alike


def test_scores_and_decisions_agree_at_the_cut(trained):
    """Every decided tag scores >= 0.5, every other < 0.5; when none reaches it, min_tags still gives the
    best-scored tag and a note says so."""
    notes = 0
    for p in predict(trained.model, _texts(trained)):
        assert set(p.probability) == set(p.scores) and all(0 <= v <= 1 for v in p.probability.values())
        if p.note:
            notes += 1
            assert p.note == "no tag reached 0.5; the best-scored tag is given, as min_tags=1 asks"
            assert p.tags == [next(iter(p.scores))] and max(p.scores.values()) < 0.5
        else:
            assert all((score >= 0.5) == (tag in p.tags) for tag, score in p.scores.items()), p
    assert notes >= 5  # the note is exercised (9 texts when written: thresholds tuned without near-duplicate leaks)


def test_threshold_decides_every_tag_scoring_at_least_it(trained):
    model, texts = trained.model, _texts(trained)
    scores = model.decision_scores(model.decision_function(texts))
    for p, row in zip(predict(model, texts, threshold=0.1), scores):
        assert len(p.tags) == max(1, int((row >= 0.1).sum()))  # no other cut drops a tag scoring 0.1
        assert all((score >= 0.1) == (tag in p.tags) for tag, score in p.scores.items()) or p.note, p


def test_top_k_1_gives_the_highest_scored_tag(trained):
    texts = _texts(trained)
    for options in ({}, {"threshold": 0.9}, {"threshold": 0.1}):
        top = predict(trained.model, texts, top_k=1, **options)
        for one, full in zip(top, predict(trained.model, texts, **options)):
            assert one.tags == [next(iter(full.scores))] == [next(iter(one.scores))], options
            assert full.scores[one.tags[0]] == max(full.scores.values())


def test_a_text_with_lone_surrogates_is_repaired_and_says_so():
    from classifier import read_texts

    assert read_texts("café").repaired == []
    corpus = read_texts("caf\udcff au lait")  # what the shell gives for an argument that is not UTF-8
    assert corpus.texts == ["caf\ufffd au lait"] and corpus.repaired == ["the text"]


def test_a_page_whose_json_ld_holds_lone_surrogates_is_repaired_and_says_so(tmp_path):
    from classifier import read_texts

    page = tmp_path / "p.html"
    page.write_text('<html><head><script type="application/ld+json">{"headline": "Le Maroc\\ud83d"}</script>'
                    "</head><body><article><p>Le corps de l'article.</p></article></body></html>", encoding="utf-8")
    corpus = read_texts(file=page)
    assert corpus.texts[0].startswith("Le Maroc\ufffd") and corpus.repaired == [str(page)]
