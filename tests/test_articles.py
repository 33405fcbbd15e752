import gzip
import json

import pandas as pd
import pytest

from classifier.corpus.articles import article_text, load_articles, merge_tag_variants, section_word, split_tags
from classifier.errors import DataError


def write_jsonl(path, rows):
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path


def test_reads_jsonl_and_joins_title_and_text(tmp_path):
    p = write_jsonl(tmp_path / "a.jsonl", [{"id": "x", "title": "Titre", "text": "Corps", "tags": ["a", "b"]}])
    c = load_articles(p)
    assert c.ids == ["x"] and c.texts == ["Titre\nCorps"] and c.tags == [["a", "b"]]


def test_reads_gzipped_jsonl(tmp_path):
    p = tmp_path / "a.jsonl.gz"
    with gzip.open(p, "wt", encoding="utf-8") as f:
        f.write(json.dumps({"text": "bonjour", "tags": ["x"]}) + "\n")
    c = load_articles(p)
    assert c.texts == ["bonjour"] and c.ids == ["1"]


def test_reads_csv_with_custom_columns_and_delimited_tags(tmp_path):
    p = tmp_path / "a.csv"
    pd.DataFrame({"body": ["un", "deux"], "labels": ["a|b", "c; d"]}).to_csv(p, index=False)
    c = load_articles(p, text_col="body", tags_col="labels")
    assert c.tags == [["a", "b"], ["c", "d"]]


def test_reads_parquet_with_list_tags(tmp_path):
    p = tmp_path / "a.parquet"
    pd.DataFrame({"id": ["1"], "text": ["un"], "tags": [["a", "b"]]}).to_parquet(p)
    assert load_articles(p).tags == [["a", "b"]]


def test_tag_list_given_as_string(tmp_path):
    p = write_jsonl(tmp_path / "a.jsonl", [{"text": "t", "tags": "Coopération - Israël - Défense"},
                                           {"text": "u", "tags": '["x", "y"]'}])
    assert load_articles(p).tags == [["Coopération", "Israël", "Défense"], ["x", "y"]]


def test_article_without_text_is_skipped_and_reported(tmp_path):
    p = write_jsonl(tmp_path / "a.jsonl", [{"text": "", "title": " ", "tags": ["a"]}, {"text": "ok", "tags": ["a"]}])
    c = load_articles(p)
    assert len(c) == 1
    assert len(c.skipped) == 1 and c.skipped[0].where.endswith(":1") and "no text" in c.skipped[0].reason


def test_empty_file(tmp_path):
    p = tmp_path / "a.jsonl"
    p.write_text("")
    with pytest.raises(DataError, match="empty"):
        load_articles(p)
    q = tmp_path / "b.csv"
    q.write_text("")
    with pytest.raises(DataError, match="empty"):
        load_articles(q)


def test_missing_column_names_the_line_and_the_option(tmp_path):
    p = write_jsonl(tmp_path / "a.jsonl", [{"text": "t", "tags": ["a"]}, {"text": "t"}])
    with pytest.raises(DataError, match=r"a\.jsonl:2: no field 'tags'.*--tags-col"):
        load_articles(p)
    p = write_jsonl(tmp_path / "b.jsonl", [{"body": "t", "tags": ["a"]}])
    with pytest.raises(DataError, match="--text-col"):
        load_articles(p, title_col=None)


def test_non_utf8_bytes_name_the_line(tmp_path):
    p = tmp_path / "a.jsonl"
    p.write_bytes(b'{"text": "ok", "tags": []}\n{"text": "caf\xe9", "tags": []}\n')
    with pytest.raises(DataError, match=r"a\.jsonl:2: not valid UTF-8"):
        load_articles(p)
    q = tmp_path / "a.csv"
    q.write_bytes(b"text,tags\ncaf\xe9,a\n")
    with pytest.raises(DataError, match="not valid UTF-8"):
        load_articles(q)


def test_invalid_json_line(tmp_path):
    p = tmp_path / "a.jsonl"
    p.write_text('{"text": "ok", "tags": []}\n{"text": oops}\n')
    with pytest.raises(DataError, match=r"a\.jsonl:2: invalid JSON"):
        load_articles(p)


def test_unknown_file_type_and_missing_file(tmp_path):
    with pytest.raises(DataError, match="unknown file type"):
        load_articles(tmp_path / "a.docx")
    with pytest.raises(DataError, match="no such file"):
        load_articles(tmp_path / "missing.jsonl")


def test_bad_tag_field_type(tmp_path):
    p = write_jsonl(tmp_path / "a.jsonl", [{"text": "t", "tags": {"a": 1}}])
    with pytest.raises(DataError, match="field 'tags'"):
        load_articles(p)


def test_split_tags_trims_and_dedupes():
    assert split_tags(["  a  b ", "a  b", "", "c"], "here") == ["a b", "c"]
    assert split_tags(None, "here") == []


def test_tag_variants_merge_to_most_frequent_spelling():
    tags, merges = merge_tag_variants([["Israël"], ["Israël"], ["Israel"], ["israël", "Israël"], ["Maroc"]])
    assert merges == {"Israel": "Israël", "israël": "Israël"}
    assert tags == [["Israël"], ["Israël"], ["Israël"], ["Israël"], ["Maroc"]]


def test_tag_lists_written_as_text_are_parsed_and_odd_ones_refused():
    assert split_tags("['Maroc', \"Israël\"]", "x") == ["Maroc", "Israël"]  # Python's repr of a list
    assert split_tags('["a", "b"]', "x") == ["a", "b"] and split_tags("[a; b]", "x") == ["a", "b"]
    for bad in ("[1, null]", '["a", ["b"]]', "['a', None]", [1, "a"]):
        with pytest.raises(DataError, match=r"f\.csv:3: field 'tags': every tag must be text"):
            split_tags(bad, "f.csv:3: field 'tags'")


def test_a_misspelt_text_column_is_an_error_not_titles_alone(tmp_path):
    path = tmp_path / "c.csv"
    path.write_text("id,title,text,tags\n1,Un titre,Le corps,a|b\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"c\.csv:2: no field 'body'; fields are 'id', 'title', 'text', 'tags'"):
        load_articles(path, text_col="body")
    assert load_articles(path).texts == ["Un titre\nLe corps"]


def test_corpus_stream_reads_again_and_keeps_what_the_first_read_found(tmp_path):
    from classifier.corpus.articles import CorpusStream

    p = write_jsonl(tmp_path / "a.jsonl", [{"id": "a", "text": "un", "tags": ["Santé"]}, {"text": "", "tags": []},
                                           {"id": "c", "text": "trois", "tags": ["santé", "x"]},
                                           {"id": "d", "text": "quatre", "tags": ["santé"]}])
    stream = CorpusStream(p, chunk_size=2, tag_map={"x": ""})
    with pytest.raises(RuntimeError, match="read texts"):
        stream.tags()
    first = list(stream.texts())
    assert first == [["un", "trois"], ["quatre"]] and list(stream.texts()) == first and stream.reads == 2
    assert stream.ids == ["a", "c", "d"] and [s.where[-2:] for s in stream.skipped] == [":2"]
    assert stream.tags() == [["santé"], ["santé"], ["santé"]] and stream.tag_merges == {"Santé": "santé"}
    corpus = stream.corpus()
    assert len(corpus) == 3 and corpus.texts == [] and corpus.tags == stream.tags()


def test_many_tags_are_deduplicated_in_linear_time_and_bounded(monkeypatch):
    import time

    monkeypatch.setenv("CLASSIFIER_MAX_TAGS", "100000")
    many = [f"t{i}" for i in range(50_000)] * 2
    start = time.perf_counter()
    tags = split_tags(many, "here")
    assert tags == many[:50_000]  # order kept, repeats gone
    merged, merges = merge_tag_variants([tags + ["T0"], ["t0"]])
    assert merges == {"T0": "t0"} and merged[0] == tags
    assert time.perf_counter() - start < 5  # a list scan per tag took about 25 s here
    monkeypatch.setenv("CLASSIFIER_MAX_TAGS", "1000")
    assert len(split_tags(many[:1000], "here")) == 1000
    with pytest.raises(DataError, match=r"f\.jsonl:4: field 'tags': 1,001 tags on one article, over the bound "
                                        r"of 1,000; .*--tags-col.*CLASSIFIER_MAX_TAGS"):
        split_tags(many[:1001], "f.jsonl:4: field 'tags'")


def test_records_with_lone_surrogates_are_read_repaired_and_listed(tmp_path):
    from classifier.corpus.articles import CorpusStream

    rows = [{"id": str(i), "text": f"texte {i}", "tags": ["a"]} for i in range(3)]
    p = write_jsonl(tmp_path / "s.jsonl", rows)
    p.write_text(p.read_text(encoding="utf-8") + '{"id": "x", "text": "cut \\ud83d", "tags": ["b\\ud800"]}\n',
                 encoding="utf-8")
    corpus = load_articles(p)
    assert corpus.repaired == [f"{p}:4"] and corpus.texts[3] == "cut \ufffd" and corpus.tags[3] == ["b\ufffd"]
    stream = CorpusStream(p)
    for _ in stream.texts():
        pass
    assert stream.corpus().repaired == [f"{p}:4"]


def test_a_named_id_column_missing_from_the_file_is_an_error_naming_it(tmp_path):
    p = write_jsonl(tmp_path / "a.jsonl", [{"doc_id": "a", "text": "un", "tags": ["x"]},
                                           {"doc_id": "b", "text": "deux", "tags": ["x"]}])
    for on_error in ("raise", "skip"):  # a misspelt column, not one bad record: never skipped quietly
        with pytest.raises(DataError, match=r"a\.jsonl:1: no field 'docid' \(the --id-col\); fields are "
                                             r"'doc_id', 'text', 'tags'; name the id column with --id-col"):
            load_articles(p, id_col="docid", on_error=on_error)
    assert load_articles(p, id_col="doc_id").ids == ["a", "b"]
    csv = tmp_path / "a.csv"
    pd.DataFrame({"text": ["un"], "tags": ["x"]}).to_csv(csv, index=False)
    with pytest.raises(DataError, match=r"a\.csv:2: no field 'id' \(the --id-col\); fields are 'text', 'tags'"):
        load_articles(csv, id_col="id")  # named, even as "id": it must be there


def test_a_later_record_without_the_named_id_column_is_a_bad_record(tmp_path):
    p = write_jsonl(tmp_path / "a.jsonl", [{"key": "a", "text": "un", "tags": ["x"]}, {"text": "deux", "tags": ["x"]},
                                           {"key": "c", "text": "trois", "tags": ["x"]}])
    with pytest.raises(DataError, match=r"a\.jsonl:2: no field 'key'"):
        load_articles(p, id_col="key")
    c = load_articles(p, id_col="key", on_error="skip")
    assert c.ids == ["a", "c"] and [s.where for s in c.skipped] == [f"{p}:2"]


def test_articles_without_an_id_are_named_by_their_line_and_counted(tmp_path):
    from classifier.corpus.articles import numbering_note

    p = tmp_path / "a.jsonl"
    p.write_text('{"text": "un", "tags": ["x"]}\n\n{"id": "b", "text": "deux", "tags": ["x"]}\n'
                 '{"text": "trois", "tags": ["x"]}\n', encoding="utf-8")
    c = load_articles(p)
    assert c.ids == ["1", "b", "4"] and c.numbered == 2  # line 2 is empty: ids are lines, not counts
    assert load_articles(write_jsonl(tmp_path / "b.jsonl", [{"id": "a", "text": "un", "tags": ["x"]}])).numbered == 0
    csv = tmp_path / "a.csv"
    pd.DataFrame({"text": ["un", "deux"], "tags": ["x", "y"]}).to_csv(csv, index=False)
    assert load_articles(csv).ids == ["2", "3"]  # the header is line 1, as in error messages
    note = numbering_note(p, c.numbered, len(c))
    assert note.startswith(f"{p}: 2 of 3 articles have no 'id' field, so each is named by its line")
    assert "--id-col" in note


def test_a_section_becomes_one_word_no_text_holds():
    assert section_word("Fait-divers") == "section_fait_divers"
    assert section_word("  Économie ") == "section_économie"  # accents as the texts keep them
    assert section_word("Monde / Afrique") == "section_monde_afrique"
    for nothing in (None, "", "  ", "--", {"a": 1}, ["Sport"]):
        assert section_word(nothing) == ""


def test_the_section_word_ends_the_title_line_or_starts_a_titleless_text():
    assert article_text("Titre", "Corps", "Sport") == "Titre section_sport\nCorps"
    assert article_text(None, "Corps", "Sport") == "section_sport\nCorps"
    assert article_text("  ", "Corps", "Sport") == "section_sport\nCorps"
    assert article_text("Titre", "Corps", None) == article_text("Titre", "Corps") == "Titre\nCorps"
    assert article_text(None, " ", "Sport") == ""  # a section alone is no article


def test_the_section_column_is_read_by_default_renamed_or_left_out(tmp_path):
    rows = [{"id": "a", "title": "Titre", "text": "Corps", "section": "Politique", "rubrique": "Sport", "tags": ["x"]},
            {"id": "b", "title": "Autre", "text": "Texte", "tags": ["y"]}]
    p = write_jsonl(tmp_path / "s.jsonl", rows)
    assert load_articles(p).texts == ["Titre section_politique\nCorps", "Autre\nTexte"]
    assert load_articles(p, section_col="rubrique").texts[0] == "Titre section_sport\nCorps"
    assert load_articles(p, section_col=None).texts == ["Titre\nCorps", "Autre\nTexte"]
