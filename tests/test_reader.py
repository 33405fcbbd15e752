"""The one reader: file kinds, decoding, records, and JSONL parts."""

import json

import pytest

from classifier.corpus.reader import Part, file_kind, is_corpus_file, iter_records, split
from classifier.errors import DataError


def test_file_kinds():
    assert file_kind("a.JSONL.gz") == "jsonl" and file_kind("b.tsv") == "tsv" and file_kind("c.htm") == "html"
    assert file_kind("d.docx") is None
    assert is_corpus_file("x.parquet") and not is_corpus_file("page.txt")


def test_parts_cover_every_line_once_with_their_numbers(tmp_path):
    path = tmp_path / "c.jsonl"
    lines = [json.dumps({"id": i, "text": "mot " * (i % 7 + 1)}) for i in range(500)]
    lines.insert(100, "")  # a blank line keeps its number
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    parts = split(path, target_bytes=2000)
    assert len(parts) > 5 and parts[0] == Part(0, parts[0].end, 1)
    assert all(a.end == b.start for a, b in zip(parts, parts[1:]))
    seen = [(where, r["id"]) for part in parts for where, r in iter_records(path, part=part)]
    whole = list((where, r["id"]) for where, r in iter_records(path))
    assert seen == whole and len(whole) == 500
    assert whole[100] == (f"{path}:102", 100)  # line 101 is the blank one


def test_a_bad_line_in_a_part_is_named_by_its_line_in_the_file(tmp_path):
    path = tmp_path / "c.jsonl"
    lines = [json.dumps({"id": i, "text": "x"}) for i in range(300)]
    lines[250] = "{broken"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    last = split(path, target_bytes=1500)[-1]
    with pytest.raises(DataError, match=r"c\.jsonl:251: invalid JSON"):
        list(iter_records(path, part=last))


def test_other_files_are_one_part(tmp_path, mini_path):
    assert split(tmp_path / "x.csv") == [Part(0, -1, 1)]
    gz = tmp_path / "m.jsonl.gz"
    import gzip

    gz.write_bytes(gzip.compress(mini_path.read_bytes()))
    assert split(gz) == [Part(0, -1, 1)]
    with pytest.raises(DataError, match="only an uncompressed JSONL"):
        list(iter_records(gz, part=Part(10, 20, 2)))
