"""The probe cases, continued: silent (not silently wrong), bounded, input (ordinary bad input)."""

from __future__ import annotations

import gzip
import json
import random

from _probes import CLEAN, Ctx, Verdict, check, error, first, ok, predictions, probe, settled
from _probes_cases import TEXT


def _train_json(ctx: Ctx, data, *args) -> tuple[Verdict, dict]:
    r = ctx.cli("train", data, "--min-tag-count", 3, "--format", "json", "--out", ctx.dir / "run", "-q", *args)
    v = ok(r)
    return v, (json.loads(r.out) if v == CLEAN else {})


# -- not silently wrong ------------------------------------------------------------------------

@probe("silent", "train --text-col naming a column the file lacks")
def text_col_typo(ctx: Ctx) -> Verdict:
    return error(ctx.cli("train", ctx.corpus, "--text-col", "body", "-q"), "body")


@probe("silent", "a CSV whose text column is called body")
def csv_body_column(ctx: Ctx) -> Verdict:
    import csv
    path = ctx.dir / "body.csv"
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["id", "title", "body", "tags"])
        for r in ctx.records():
            w.writerow([r["id"], r["title"], r["text"], "|".join(r["tags"])])
    return error(ctx.cli("train", path, "--min-tag-count", 3, "-q"), "text")


@probe("silent", "predict --file with a --text-col the file lacks")
def predict_text_col_typo(ctx: Ctx) -> Verdict:
    return error(ctx.cli("predict", "--file", ctx.corpus, "--text-col", "body", "--model", ctx.base), "body")


@probe("silent", "train --id-col naming a column the file lacks")
def id_col_typo(ctx: Ctx) -> Verdict:
    return error(ctx.cli("train", ctx.corpus, "--id-col", "ident", "-q"), "ident")


@probe("silent", "a corpus without ids is numbered, and that is said")
def id_missing_said(ctx: Ctx) -> Verdict:
    data = ctx.jsonl("noid.jsonl", [{k: v for k, v in r.items() if k != "id"} for r in ctx.records()])
    r = ctx.cli("train", data, "--min-tag-count", 3, "--out", ctx.dir / "run")
    return first(ok(r), check(" id" in r.text.lower() and "number" in r.text.lower(), "wrong",
                              "the numbering of articles without ids is not said"))


@probe("silent", "tags written as a Python list string")
def python_list_tags(ctx: Ctx) -> Verdict:
    data = ctx.jsonl("py.jsonl", [dict(r, tags=repr(list(r["tags"]))) for r in ctx.records()])
    v, out = _train_json(ctx, data)
    tags = json.loads((ctx.dir / "run" / "manifest.json").read_text())["tags"] if v == CLEAN else {}
    quoted = [t for t in tags if "'" in t[:1] + t[-1:] or "[" in t or "]" in t]
    return first(v, check(not quoted, "wrong", f"tags kept their quotes: {quoted[:3]}"))


def _bad_tags(ctx: Ctx, value) -> Verdict:
    records = ctx.records()
    records[4]["tags"] = value
    return error(ctx.cli("train", ctx.jsonl("bad.jsonl", records), "--min-tag-count", 3, "-q"), "line 5")


@probe("silent", "tags [1, null] on line 5")
def tags_number_null(ctx: Ctx) -> Verdict:
    return _bad_tags(ctx, [1, None])


@probe("silent", "a nested tag list on line 5")
def tags_nested(ctx: Ctx) -> Verdict:
    return _bad_tags(ctx, [["a", "b"]])


@probe("silent", "tags: null is no tag, not the tag 'None'")
def tags_null(ctx: Ctx) -> Verdict:
    records = ctx.records()
    for r in records[:10]:
        r["tags"] = None
    v, _ = _train_json(ctx, ctx.jsonl("null.jsonl", records))
    tags = json.loads((ctx.dir / "run" / "manifest.json").read_text())["tags"] if v == CLEAN else {}
    return first(v, check("None" not in tags, "wrong", "learned a tag 'None'"))


@probe("silent", "every article twice: validation must not read near 1, and the copies are counted")
def doubled_corpus(ctx: Ctx) -> Verdict:
    records = ctx.records()
    doubled = records + [dict(r, id=f"{r.get('id')}-copy") for r in records]
    v1, single = _train_json(ctx, ctx.corpus)
    v2, twice = _train_json(ctx, ctx.jsonl("twice.jsonl", doubled), "--force")
    if first(v1, v2) != CLEAN:
        return first(v1, v2)
    gain = twice["validation_micro_f1"] - single["validation_micro_f1"]
    said = "duplicate" in json.dumps(twice).lower()
    return first(check(gain < 0.1, "wrong", f"validation {single['validation_micro_f1']} → "
                       f"{twice['validation_micro_f1']} with every article twice"),
                 check(said, "wrong", "train does not say how many duplicates it found"))


def _no_tag(ctx: Ctx, text: str) -> Verdict:
    r = ctx.cli("predict", "--model", ctx.base, "--format", "json", stdin=text)
    if (v := ok(r)) != CLEAN:
        return v
    got = json.loads(r.out)
    got = got["predictions"] if isinstance(got, dict) else got
    return check(got[0]["tags"] == [] and got[0].get("note"), "wrong", f"tagged {got[0]['tags']} without a note")


@probe("silent", "a text in Chinese only gets no tag and a note")
def chinese_text(ctx: Ctx) -> Verdict:
    return _no_tag(ctx, "中华人民共和国国务院今天发布了新的经济政策。")


@probe("silent", "a text of NUL bytes gets no tag and a note")
def nul_text(ctx: Ctx) -> Verdict:
    return _no_tag(ctx, "\x00" * 200)


def _ranked(ctx: Ctx, *args) -> tuple[Verdict, list[dict]]:
    r = ctx.cli("predict", "--file", ctx.corpus, "--format", "jsonl", "--model", ctx.base, *args)
    v = ok(r)
    return v, predictions(r) if v == CLEAN else []


@probe("silent", "no decided tag is scored below a tag that was not decided")
def decided_first(ctx: Ctx) -> Verdict:
    v, preds = _ranked(ctx)
    bad = [p["id"] for p in preds if p["tags"] and min(p["scores"][t] for t in p["tags"])
           < max([s for t, s in p["scores"].items() if t not in p["tags"]], default=0)]
    return first(v, check(not bad, "wrong",
                          f"{len(bad)} of {len(preds)} articles rank a rejected tag above a chosen one"))


@probe("silent", "--threshold 0.1 keeps every tag scored 0.1 or more")
def threshold_exact(ctx: Ctx) -> Verdict:
    v, preds = _ranked(ctx, "--threshold", "0.1")
    dropped = [p["id"] for p in preds if any(s >= 0.1 and t not in p["tags"] for t, s in p["scores"].items())]
    low = [p["id"] for p in preds if any(p["scores"].get(t, 1) < 0.1 for t in p["tags"]) and len(p["tags"]) > 1]
    return first(v, check(not dropped and not low, "wrong", f"{len(dropped)} articles drop a tag over 0.1, "
                          f"{len(low)} keep several under it"))


@probe("silent", "--top-k 1 gives the highest-scored tag")
def top_k_one(ctx: Ctx) -> Verdict:
    v, preds = _ranked(ctx, "--top-k", "1")
    bad = [p["id"] for p in preds if p["tags"] and p["tags"][0] != max(p["scores"], key=p["scores"].get)]
    return first(v, check(not bad, "wrong", f"{len(bad)} of {len(preds)} articles: the tag is not the best-scored"))


@probe("silent", "evaluate --compare: same gold tags for both models, both runs named")
def compare_same_gold(ctx: Ctx) -> Verdict:
    small = ctx.dir / "small"
    tr = ctx.cli("train", ctx.corpus, "--min-tag-count", 8, "--out", small, "-q")
    if (v := ok(tr)) != CLEAN:
        return v
    r = ctx.cli("evaluate", ctx.corpus, "--model", ctx.base, "--compare", small, "--out", ctx.dir / "rep",
                "--format", "json", "-q")
    if (v := ok(r)) != CLEAN:
        return v
    named = str(ctx.base.name) in r.out and "small" in r.out
    return first(check(named, "wrong", "the comparison does not name both runs"),
                 check("known_tags" in r.out, "wrong", "no labelled known-tags view"))


@probe("silent", "predict on a saved page reads what import reads")
def saved_page(ctx: Ctx) -> Verdict:
    from pathlib import Path
    page = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "pages" / "boilerplate.txt"
    imp = ctx.cli("import", page, "--out", ctx.dir / "page.jsonl", "--allow-untagged", "-q")
    a = ctx.cli("predict", "--file", ctx.dir / "page.jsonl", "--format", "jsonl", "--model", ctx.base)
    b = ctx.cli("predict", "--file", page, "--format", "jsonl", "--model", ctx.base)
    if (v := first(ok(imp), ok(a), ok(b))) != CLEAN:
        return v
    return check(predictions(a)[0]["tags"] == predictions(b)[0]["tags"], "wrong", "the page and its import differ")


@probe("silent", "predict reads a gzipped Windows-1252 saved page")
def page_gz_cp1252(ctx: Ctx) -> Verdict:
    from pathlib import Path
    page = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "pages" / "cp1252.txt"
    gz = ctx.write("page.txt.gz", gzip.compress(page.read_bytes()))
    return ok(ctx.cli("predict", "--file", gz, "--model", ctx.base))


@probe("silent", "predict and evaluate name the run they used")
def names_run(ctx: Ctx) -> Verdict:
    p = ctx.cli("predict", TEXT, "--model", ctx.base, "--format", "json")
    e = ctx.cli("evaluate", ctx.corpus, "--model", ctx.base, "--out", ctx.dir / "rep", "--format", "json", "-q")
    if (v := first(ok(p), ok(e))) != CLEAN:
        return v
    said = ctx.base.name in p.err and ctx.base.name in p.out
    return first(check(said, "wrong", "predict does not name its run on stderr and in its JSON"),
                 check(ctx.base.name in e.out, "wrong", "evaluate does not name its run"))


# -- bounded -----------------------------------------------------------------------------------

def _bomb(ctx: Ctx, name: str, size: int = 1 << 30) -> object:
    path = ctx.dir / name
    chunk = b"\n" * (16 << 20)
    with gzip.open(path, "wb", compresslevel=9) as f:
        for _ in range(size // len(chunk)):
            f.write(chunk)
    return path


@probe("bounded", "import of a 1 MB gzip that expands to 1 GB of newlines")
def gzip_bomb_import(ctx: Ctx) -> Verdict:
    bomb = _bomb(ctx, "bomb.jsonl.gz")
    return error(ctx.cli("import", bomb, "--out", ctx.dir / "out.jsonl", "-q"), "bomb.jsonl.gz")


@probe("bounded", "train on the same gzip bomb")
def gzip_bomb_train(ctx: Ctx) -> Verdict:
    bomb = _bomb(ctx, "bomb.jsonl.gz")
    return error(ctx.cli("train", bomb, "-q"), "bomb.jsonl.gz")


@probe("bounded", "a line longer than the configured bound")
def endless_line(ctx: Ctx) -> Verdict:
    data = ctx.write("long.jsonl", '{"id": "a", "text": "' + "mot " * 1_000_000)
    r = ctx.cli("train", data, "-q", env=ctx.env(CLASSIFIER_MAX_LINE_BYTES=str(1 << 20)))
    return error(r, "CLASSIFIER_MAX_LINE_BYTES")


@probe("bounded", "stats on 20,000 articles (near-copies) finishes, with its near-duplicate count")
def stats_large(ctx: Ctx) -> Verdict:
    from make_scale_corpus import copies
    data = ctx.jsonl("many.jsonl", list(copies(ctx.records(), 20_000, 0.2, 0)))
    r = ctx.cli("stats", data, "--format", "json")
    return first(ok(r), check("near_duplicate" in r.out, "wrong", "no near-duplicate figure"))


@probe("bounded", "one 30 MB article among good ones")
def huge_article(ctx: Ctx) -> Verdict:
    records = ctx.records()
    records[3]["text"] = "élection " * 3_000_000
    return settled(ctx.cli("train", ctx.jsonl("huge.jsonl", records), "--min-tag-count", 3, "-q"))


@probe("bounded", "one article with 100,000 tags")
def many_tags(ctx: Ctx) -> Verdict:
    records = ctx.records()
    records[3]["tags"] = [f"t{i}" for i in range(100_000)]
    return settled(ctx.cli("train", ctx.jsonl("tags.jsonl", records), "--min-tag-count", 3, "-q"))


# -- ordinary bad input ------------------------------------------------------------------------

def _input(name: str, what: str, content, *words: str, command: str = "train", lenient: bool = False,
           judge=None) -> None:
    def run(ctx: Ctx) -> Verdict:
        path = ctx.write(name, content(ctx) if callable(content) else content)
        args = ("predict", "--file", path, "--model", ctx.base) if command == "predict" else \
               ("import", path, "--out", ctx.dir / "out.jsonl", "-q") if command == "import" else \
               ("stats", path) if command == "stats" else ("train", path, "--min-tag-count", 3, "-q")
        r = ctx.cli(*args)
        if judge is not None:
            return judge(ctx, path, r)
        return settled(r) if lenient else error(r, *words) if words or content == "" else ok(r)
    run.__name__ = f"{command}_{what.split(':')[0]}"
    probe("input", f"{command}: {what}")(run)


def _lines(ctx: Ctx, n: int | None = None) -> str:
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in ctx.records()[:n])


def _rejected_and_listed(line: int):
    """How `import` must meet one bad record among good ones. It rejects bad records by design and
    imports the rest (a site's export with one broken row is still worth importing), so exit 0 is
    right here where train, predict and stats must stop: provided the summary counts the rejected
    record and names the rejects file, and that file names the record's line."""
    def judge(ctx: Ctx, path, r) -> Verdict:
        if (v := ok(r)) != CLEAN:
            return v
        rejects = ctx.dir / "out.rejects.jsonl"
        listed = rejects.exists() and f"{path}:{line}" in rejects.read_text(encoding="utf-8")
        return first(check("rejected 1" in r.out and str(rejects) in r.out, "wrong",
                           "the summary does not count the rejected record and name the rejects file"),
                     check(listed, "wrong", f"the rejects file does not name {path.name}:{line}"))
    return judge


def _broken_at(line: int):
    def content(ctx: Ctx) -> str:
        rows = _lines(ctx).splitlines(keepends=True)
        rows.insert(line - 1, '{"id": "broken", "text": "unterminated\n')
        return "".join(rows)
    return content


for command in ("train", "predict", "import", "stats"):
    _input("empty.jsonl", "empty_file: an empty file", "", "empty.jsonl", command=command)
    _input("junk.jsonl", "binary: random bytes", random.Random(0).randbytes(50_000), "junk.jsonl", command=command)
    _input("bad.jsonl", "broken_line: a broken JSON line at line 100", _broken_at(100), "line 100", command=command,
           judge=_rejected_and_listed(100) if command == "import" else None)
    _input("arr.jsonl", "not_object: a line that is a JSON array", lambda c: _lines(c, 20) + "[1, 2]\n" + _lines(c, 20),
           "line 21", command=command, judge=_rejected_and_listed(21) if command == "import" else None)
    _input("bad.parquet", "corrupt_parquet: random bytes named .parquet", random.Random(1).randbytes(5000),
           "bad.parquet", command=command)
    _input("crlf.jsonl", "crlf: CRLF line ends", lambda c: _lines(c).replace("\n", "\r\n"), command=command)
    _input("bom.jsonl", "bom: a UTF-8 byte-order mark", lambda c: "\ufeff" + _lines(c), command=command)
    _input("whole.jsonl", "json_array: the whole file one JSON array",
           lambda c: json.dumps(c.records(), ensure_ascii=False), command=command, lenient=True)
    _input("surrogate.jsonl", "surrogate: a lone surrogate escape",
           lambda c: _lines(c) + '{"id": "s", "title": "x", "text": "bad \\ud800 char", "tags": ["a"]}\n',
           command=command, lenient=True)
    _input("numtext.jsonl", "number_text: a text that is a number",
           lambda c: _lines(c) + '{"id": "n", "title": "x", "text": 12345, "tags": ["a"]}\n', command=command,
           lenient=True)
    _input("dupids.jsonl", "duplicate_ids: every id twice",
           lambda c: _lines(c) + _lines(c), command=command, lenient=True)


@probe("input", "a file that does not exist")
def missing_file(ctx: Ctx) -> Verdict:
    return error(ctx.cli("train", ctx.dir / "nope.jsonl", "-q"), "nope.jsonl")


@probe("input", "a folder with no corpus in it")
def empty_folder(ctx: Ctx) -> Verdict:
    (ctx.dir / "empty").mkdir()
    return error(ctx.cli("train", ctx.dir / "empty", "-q"), "empty")


@probe("input", "no tag reaches --min-tag-count")
def no_tag_learnable(ctx: Ctx) -> Verdict:
    return error(ctx.cli("train", ctx.corpus, "--min-tag-count", 10_000, "-q"), "--min-tag-count")


@probe("input", "predict with no model trained yet")
def no_model(ctx: Ctx) -> Verdict:
    return error(ctx.cli("predict", TEXT), "train")


@probe("input", "predict with empty stdin")
def empty_stdin(ctx: Ctx) -> Verdict:
    return error(ctx.cli("predict", "--model", ctx.base, stdin=""))


@probe("input", "evaluate on a corpus without tags")
def evaluate_untagged(ctx: Ctx) -> Verdict:
    data = ctx.jsonl("untagged.jsonl", [dict(r, tags=[]) for r in ctx.records()])
    return error(ctx.cli("evaluate", data, "--model", ctx.base, "--out", ctx.dir / "rep", "-q"), "tag")


@probe("input", "--on-error skip: a broken line is skipped and counted")
def skip_counted(ctx: Ctx) -> Verdict:
    path = ctx.write("bad.jsonl", _broken_at(100)(ctx))
    v, out = _train_json(ctx, path, "--on-error", "skip")
    return first(v, check(out.get("skipped") == 1, "wrong", f"skipped {out.get('skipped')!r}, not 1"))


for name, args in {"top_k_zero": ("predict", TEXT, "--top-k", "0"),
                   "threshold_two": ("predict", TEXT, "--threshold", "2"),
                   "min_share_one": ("predict", TEXT, "--min-share", "1"),
                   "min_tag_count_zero": ("train", "--min-tag-count", "0"),
                   "unknown_format": ("predict", TEXT, "--format", "yaml")}.items():
    def bad_option(ctx: Ctx, args=args) -> Verdict:
        r = ctx.cli(*args)
        return first(error(r), check(r.code == 2, "wrong", f"exit {r.code}, not a usage error (2)"))
    bad_option.__name__ = name
    probe("input", f"a bad option value: {' '.join(args[2:] if args[0] == 'predict' else args[1:])}")(bad_option)
