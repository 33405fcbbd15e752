import gzip
import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

from classifier.corpus.ingest import import_paths
from classifier.corpus.reader import decode
from classifier.errors import DataError

PAGES = Path(__file__).parent / "fixtures" / "pages"


def read_jsonl(path):
    return [json.loads(line) for line in Path(path).read_text(encoding="utf-8").splitlines()]


def test_folder_of_pages_every_record_accounted(tmp_path):
    src = tmp_path / "pages"
    shutil.copytree(PAGES, src)
    (src / "sub").mkdir()
    with gzip.open(src / "sub" / "copy.txt.gz", "wt", encoding="utf-8") as f:  # exact duplicate, gzipped
        f.write((PAGES / "deux_tags.txt").read_text(encoding="utf-8"))
    (src / "notes.docx").write_bytes(b"PK\x03\x04")
    report = import_paths([src], tmp_path / "out.jsonl")
    rows = read_jsonl(tmp_path / "out.jsonl")
    rejects = read_jsonl(tmp_path / "out.rejects.jsonl")
    # 7 pages + 1 gz copy + 1 unsupported file
    assert report.read == 9
    assert report.imported + report.merged + sum(report.rejected.values()) == report.read
    assert report.rejected == {"no tags": 1, "unsupported file type": 1}
    assert report.merged == 1 and any(r["status"] == "merged" for r in rejects)
    assert report.decoded["windows-1252"] == 1
    by_title = {r["title"]: r for r in rows}
    cafe = by_title["Café et thé : les prix montent"]
    assert cafe["tags"] == ["Consommation", "Prix"] and "–" in cafe["text"] and cafe["date"] == "2024-02-01"
    assert {"id", "title", "text", "tags"} <= set(rows[0])
    assert len({r["id"] for r in rows}) == len(rows)


def test_tabular_exports_with_columns_and_tag_map(tmp_path):
    csv_path = tmp_path / "export.csv"
    pd.DataFrame({"headline": ["Un", "Deux", "Trois"], "body": ["texte un", "", "texte trois"],
                  "labels": ["Israel|Maroc", "x", ""], "published": ["2023-01-02", "", "5 mai 2021"]}
                 ).to_csv(csv_path, index=False)
    mapping = {"Israel": "Israël", "Maroc": ""}
    from classifier.corpus.ingest import Columns

    report = import_paths([csv_path], tmp_path / "o.jsonl", columns=Columns(text="body", title="headline",
                          tags="labels", date="published"), tag_map=mapping)
    rows = read_jsonl(tmp_path / "o.jsonl")
    assert [r["tags"] for r in rows] == [["Israël"]]
    assert rows[0]["date"] == "2023-01-02"
    assert report.rejected == {"no tags": 1, "no text": 1} and report.imported == 1  # "Deux" has no body
    assert report.read == 3


def test_bad_json_line_is_rejected_not_fatal(tmp_path):
    p = tmp_path / "a.jsonl"
    p.write_text('{"text": "ok", "tags": ["a"]}\n{broken\n[1, 2]\n', encoding="utf-8")
    report = import_paths([p], tmp_path / "o.jsonl")
    assert report.imported == 1 and report.rejected == {"parse failure": 2}


def test_near_duplicates_merged_on_request(tmp_path):
    rows = [{"id": "a", "text": "Le gouvernement annonce un plan pour l'eau potable dans le sud du pays.",
             "tags": ["eau"]},
            {"id": "b", "text": "Le gouvernement annonce un plan pour l'eau potable dans le sud du pays !",
             "tags": ["gouvernement"]},
            {"id": "c", "text": "Un match de football sans histoire.", "tags": ["sport"]}]
    p = tmp_path / "a.jsonl"
    p.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    assert import_paths([p], tmp_path / "x.jsonl", dedupe="exact").merged == 0
    report = import_paths([p], tmp_path / "y.jsonl", dedupe="near", near_threshold=0.9)
    out = read_jsonl(tmp_path / "y.jsonl")
    assert report.merged == 1 and [r["id"] for r in out] == ["a", "c"]
    assert out[0]["tags"] == ["eau", "gouvernement"]


def test_decode_and_missing_paths(tmp_path):
    assert decode("é".encode(), "x") == ("é", "utf-8")
    assert decode("é".encode("cp1252"), "x") == ("é", "windows-1252")
    with pytest.raises(DataError, match="binary"):
        decode(b"\x00\x01", "x")
    with pytest.raises(DataError, match="no such file"):
        import_paths([tmp_path / "missing"], tmp_path / "o.jsonl")


def test_out_naming_an_input_is_refused(tmp_path):
    page = tmp_path / "page.txt"
    page.write_text("Titre\nTexte.\nSujets associés : A - B\n", encoding="utf-8")
    before = page.read_bytes()
    with pytest.raises(DataError, match="is one of the inputs"):
        import_paths([tmp_path], page)
    assert page.read_bytes() == before


def test_lone_surrogates_are_repaired_counted_and_listed(tmp_path):
    src = tmp_path / "s.jsonl"
    src.write_text('{"id": "x", "title": "t\\ud800", "text": "un texte \\udfff", "tags": ["a"]}\n', encoding="utf-8")
    report = import_paths([src], tmp_path / "out.jsonl")
    assert report.imported == 1 and report.repaired == 1 and report.to_dict()["repaired"] == 1
    assert read_jsonl(tmp_path / "out.jsonl")[0]["text"] == "un texte \ufffd"
    assert {"source": f"{src}:1", "status": "repaired"}.items() <= read_jsonl(tmp_path / "out.rejects.jsonl")[0].items()


def test_an_import_of_no_article_fails_naming_the_inputs_and_why_and_writes_nothing(tmp_path):
    out = tmp_path / "out.jsonl"
    out.write_text('{"id": "kept"}\n', encoding="utf-8")  # an earlier import
    empty, junk, untagged = tmp_path / "empty.jsonl", tmp_path / "junk.parquet", tmp_path / "untagged.jsonl"
    empty.write_bytes(b"")
    junk.write_bytes(b"not parquet at all")
    untagged.write_text('{"id": 1, "text": "un texte"}\n', encoding="utf-8")
    (tmp_path / "folder").mkdir()
    for paths, said in (([empty], r"empty\.jsonl: no record found \(empty"),
                        ([tmp_path / "folder"], r"folder: no record found"),
                        ([junk], r"junk\.parquet: every record was rejected \(parse failure: 1\); the first, "
                                 r".*junk\.parquet: parse failure: cannot read as PARQUET"),
                        ([empty, untagged], r"empty\.jsonl, .*untagged\.jsonl: every record was rejected \(no tags: 1\)"
                                            r".*--allow-untagged")):
        with pytest.raises(DataError, match="nothing imported from .*" + said):
            import_paths(paths, out)
    assert out.read_text(encoding="utf-8") == '{"id": "kept"}\n' and not (tmp_path / "out.rejects.jsonl").exists()
    assert import_paths([untagged], out, require_tags=False).imported == 1


def test_lone_surrogates_from_a_page_json_ld_are_repaired_and_listed(tmp_path):
    page = tmp_path / "p.html"
    page.write_text('<html><head><script type="application/ld+json">{"@type": "NewsArticle", "keywords": '
                    '["Maroc\\ud800", "Politique"]}</script></head><body><article><h1>Titre</h1><p>Le corps de '
                    "l'article.</p></article></body></html>", encoding="utf-8")
    report = import_paths([page], tmp_path / "out.jsonl")
    assert report.imported == 1 and report.repaired == 1
    assert "Maroc\ufffd" in read_jsonl(tmp_path / "out.jsonl")[0]["tags"]
    assert read_jsonl(tmp_path / "out.rejects.jsonl")[0]["status"] == "repaired"


def test_a_named_id_column_missing_from_a_table_stops_the_import_naming_it(tmp_path):
    from classifier.corpus.ingest import Columns

    src = tmp_path / "export.jsonl"
    src.write_text('{"doc_id": "a", "title": "Un", "text": "texte un", "tags": ["x"]}\n', encoding="utf-8")
    out = tmp_path / "o.jsonl"
    with pytest.raises(DataError, match=r"export\.jsonl:1: no field 'docid' \(the --id-col\); fields are "
                                         r"'doc_id', 'title', 'text', 'tags'"):
        import_paths([src], out, columns=Columns(id="docid", id_named=True))
    assert not out.exists()
    import_paths([src], out, columns=Columns(id="doc_id", id_named=True))
    assert read_jsonl(out)[0]["id"] == "a"
    import_paths([src], out, columns=Columns(id="docid"))  # not named: ids are made up, as before
    assert read_jsonl(out)[0]["id"] != "a"
