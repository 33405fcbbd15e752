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


def test_a_decompression_bomb_is_stopped_with_its_name(tmp_path, monkeypatch):
    import gzip
    import time

    from classifier import load_articles

    bomb = tmp_path / "bomb.jsonl.gz"
    with gzip.open(bomb, "wb", compresslevel=9) as f:
        for _ in range(80):
            f.write(b"\n" * (1 << 20))  # 80 MiB of line breaks in about 80 KB
    started = time.perf_counter()
    with pytest.raises(DataError, match=r"bomb\.jsonl\.gz: expands past 64 MiB.*CLASSIFIER_MAX_GZIP_RATIO"):
        load_articles(bomb)
    assert time.perf_counter() - started < 120
    small = tmp_path / "small.jsonl.gz"
    small.write_bytes(gzip.compress(b"\n" * 10_000 + b'{"id": 1, "text": "ok", "tags": ["a"]}\n'))
    monkeypatch.setenv("CLASSIFIER_MAX_GZIP_RATIO", "1")  # the 64 MiB floor still lets a small file through
    assert load_articles(small).texts == ["ok"]


def test_a_line_past_the_limit_is_refused(tmp_path, monkeypatch):
    monkeypatch.setenv("CLASSIFIER_MAX_LINE_BYTES", "1000")
    path = tmp_path / "long.jsonl"
    path.write_text(json.dumps({"id": 1, "text": "x" * 5000, "tags": ["a"]}) + "\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"long\.jsonl:1: a line longer than"):
        list(iter_records(path))


@pytest.mark.parametrize("suffix", ["csv", "tsv", "parquet", "csv.gz", "parquet.gz"])
def test_tables_are_read_a_few_rows_at_a_time(tmp_path, monkeypatch, suffix):
    import gzip

    import pandas as pd

    from classifier.corpus import reader

    frame = pd.DataFrame({"id": [str(i) for i in range(10)], "text": [f"texte {i}" for i in range(10)],
                          "tags": ["a|b"] * 10})
    path = tmp_path / f"t.{suffix}"
    plain = tmp_path / f"plain.{suffix.removesuffix('.gz')}"
    if plain.suffix == ".parquet":
        frame.to_parquet(plain)
    else:
        frame.to_csv(plain, index=False, sep="\t" if plain.suffix == ".tsv" else ",")
    path.write_bytes(gzip.compress(plain.read_bytes()) if suffix.endswith(".gz") else plain.read_bytes())
    if not suffix.endswith(".gz"):  # a plain file is never read whole
        monkeypatch.setattr(reader, "read_bytes", lambda p: pytest.fail("read whole"))
    monkeypatch.setattr(reader, "_TABLE_ROWS", 3)
    frames = []
    real = reader._frames
    monkeypatch.setattr(reader, "_frames", lambda *a: (frames.append(f) or f for f in real(*a)))
    records = iter_records(path)
    first = next(records)
    assert len(frames) == 1 and len(frames[0]) == 3  # the first rows come before the rest is read
    rows = [first, *records]
    assert len(frames) == 4 and [r["text"] for _, r in rows] == list(frame["text"])
    assert rows[9][0] == (f"{path}:row 10" if "parquet" in suffix else f"{path}:11")


def test_a_csv_that_breaks_off_keeps_the_rows_before_and_names_where(tmp_path, monkeypatch):
    from classifier.corpus import reader
    from classifier.types import Skipped

    monkeypatch.setattr(reader, "_TABLE_ROWS", 2)
    path = tmp_path / "t.csv"
    path.write_text("text,tags\nun,a\ndeux,b\ntrois,c,extra\nquatre,d\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"t\.csv: cannot read as CSV \(.*line 4, saw 3\) after its first 2 rows"):
        list(iter_records(path))
    skipped: list[Skipped] = []
    assert [r["text"] for _, r in iter_records(path, on_error="skip", skipped=skipped)] == ["un", "deux"]
    assert len(skipped) == 1 and "after its first 2 rows" in skipped[0].reason


def test_a_table_encoding_is_found_in_one_streaming_pass(tmp_path, monkeypatch):
    from collections import Counter

    from classifier.corpus import reader

    monkeypatch.setattr(reader, "_TABLE_ROWS", 1)
    path = tmp_path / "t.csv"
    path.write_bytes(b"text,tags\ncaf\xe9,a\n\x81x,b\n")  # Windows-1252 has no \x81: read as Latin-1
    with pytest.raises(DataError, match=r"t\.csv: not valid UTF-8 \(invalid continuation byte at byte 14\)"):
        list(iter_records(path))
    seen = Counter()
    assert [r["text"] for _, r in iter_records(path, fallback=True, encodings=seen)] == ["café", "\x81x"]
    assert seen == {"latin-1": 1}
    path.write_bytes("\ufefftext,tags\ncafé,a\n".encode())
    assert [r["text"] for _, r in iter_records(path)] == ["café"]
    path.write_bytes(b"text,tags\ncaf\xe9,a\n")
    seen.clear()
    assert [r["text"] for _, r in iter_records(path, fallback=True, encodings=seen)] == ["café"]
    assert seen == {"windows-1252": 1}


def _parquet_parts(mini_path, folder, sizes):
    import pandas as pd

    records = [json.loads(line) for line in mini_path.read_text(encoding="utf-8").splitlines() if line.strip()]
    folder.mkdir()
    start = 0
    for i, size in enumerate(sizes):
        pd.DataFrame(records[start:start + size]).to_parquet(folder / f"part-{i:05d}.parquet")
        start += size
    return records[:start]


def test_a_folder_of_parquet_parts_reads_as_one_corpus_in_name_order(mini_path, tmp_path):
    records = _parquet_parts(mini_path, tmp_path / "parts", [40, 70, 40])
    (tmp_path / "parts" / ".part-99999.parquet").write_bytes(b"hidden: never read")
    (tmp_path / "parts" / "_SUCCESS").write_text("")
    assert is_corpus_file(tmp_path / "parts")
    got = list(iter_records(tmp_path / "parts"))
    assert [r["id"] for _, r in got] == [r["id"] for r in records]
    assert got[40][0] == f"{tmp_path / 'parts' / 'part-00001.parquet'}:row 1"  # named by its part and row


def test_a_folder_without_parts_is_refused_and_mixed_kinds_are_each_read_as_theirs(tmp_path):
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "notes.txt").write_text("not a corpus")
    with pytest.raises(DataError, match="no JSONL, CSV, TSV or Parquet file in this folder"):
        list(iter_records(tmp_path / "empty"))
    mixed = tmp_path / "mixed"
    mixed.mkdir()
    (mixed / "a.jsonl").write_text('{"text": "x"}\n')
    (mixed / "b.csv").write_text("text\ny\n")
    assert [r["text"] for _, r in iter_records(mixed)] == ["x", "y"]


def test_a_bad_record_in_a_part_names_that_part(tmp_path):
    folder = tmp_path / "parts"
    folder.mkdir()
    (folder / "a.jsonl").write_text('{"text": "x"}\n')
    (folder / "b.jsonl").write_text('{"text": "y"}\n{broken\n')
    with pytest.raises(DataError, match=r"b\.jsonl:2: invalid JSON"):
        list(iter_records(folder))
def test_lone_surrogates_are_replaced_and_their_records_listed(tmp_path):
    path = tmp_path / "s.jsonl"
    path.write_text('{"id": "a\\ud800", "title": "t\\udfff", "text": "bad \\uDC00 x", "tags": ["t\\ud800"], '
                    '"k\\ud800": [{"n": "\\ud800"}]}\n'
                    '{"id": "b", "text": "an emoji \\ud83d\\ude00 is a whole pair", "note": "C:\\\\ud800"}\n',
                    encoding="utf-8")
    repaired = []
    records = [r for _, r in iter_records(path, repaired=repaired)]
    assert repaired == [f"{path}:1"]
    assert records[0] == {"id": "a\ufffd", "title": "t\ufffd", "text": "bad \ufffd x", "tags": ["t\ufffd"],
                          "k\ufffd": [{"n": "\ufffd"}]}
    assert records[1]["text"] == "an emoji \U0001F600 is a whole pair" and records[1]["note"] == "C:\\ud800"
    json.dumps(records, ensure_ascii=False).encode("utf-8")  # each can be written as UTF-8 now
