"""Work spread over a Dask cluster (the optional extra: `pip install 'news-tag-classifier[dask]'`).

`predict_on_cluster` tags a corpus part by part on the workers: an uncompressed JSONL file is cut
at line starts into parts of about 64 MB (`reader.split`), a folder gives one part per file (a
folder of Parquet parts, say); each worker reads its part itself, tags it with the model (loaded
once per worker process) and writes `part-NNNNN.<format>` into the output folder, which the
workers must be able to read and write (a shared file system on a real cluster). The parts, in
order, hold exactly what `classifier predict --format jsonl` prints for the same corpus.

`DaskRunner` runs the primal path's per-tag fits on the cluster's workers (`classifier train
--dask`): the rows, tags and fold plan are sent to each worker once, then every task fits a share of
the tags there; the fits are seeded, so the model is the one a local run makes.

`connect("local")` starts a `LocalCluster` on this machine (one single-threaded worker process
per core); any other address is a running scheduler's, e.g. tcp://10.0.0.5:8786.
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from classifier.api import runs
from classifier.api.tagging import predict
from classifier.corpus.articles import iter_articles
from classifier.corpus.reader import OnError, Part, corpus_files, split
from classifier.errors import DataError
from classifier.fileio import atomic_write, atomic_write_text
from classifier.progress import Progress, no_progress

FORMATS = ("jsonl", "csv", "parquet")


def connect(address: str) -> Any:
    """A `distributed.Client` for `address`: "local" starts a LocalCluster on this machine."""
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise DataError("Dask is not installed; install the extra: pip install 'news-tag-classifier[dask]'") from None
    if address == "local":
        cluster = LocalCluster(n_workers=os.cpu_count() or 1, threads_per_worker=1, processes=True,
                               dashboard_address=None)
        return Client(cluster)
    try:
        return Client(address, timeout="10s")
    except (OSError, TimeoutError) as exc:
        raise DataError(f"cannot reach the Dask scheduler at {address} ({exc}); check the address, "
                        "or use --dask local to start a cluster on this machine") from None


class DaskRunner:
    """A `parallel.Runner` over a `distributed.Client`: `shared` is scattered to every worker once."""

    def __init__(self, client: Any):
        self.client = client
        self.workers = max(1, sum(client.nthreads().values()))

    def map(self, fn: Any, shared: tuple, chunks: list) -> Any:
        from distributed import as_completed

        sent = self.client.scatter(list(shared), broadcast=True)
        futures = [self.client.submit(fn, *sent, chunk, pure=False) for chunk in chunks]
        for future in as_completed(futures):
            yield future.result()


@contextmanager
def cluster(address: str) -> Iterator[Any]:
    """A connected client for `address`, closed afterwards (with the LocalCluster it started)."""
    client = connect(address)
    try:
        yield client
    finally:
        local = client.cluster if address == "local" else None
        client.close()
        if local is not None:
            local.close()


def corpus_parts(data: str | Path) -> list[tuple[str, Part]]:
    """(file, part) pairs covering `data`: a file's parts, or each file of a folder (sorted)."""
    data = Path(data)
    if data.is_dir():
        return [(str(f), p) for f in corpus_files(data) for p in split(f)]
    if not data.exists():
        raise DataError(f"{data}: no such file")
    return [(str(data), p) for p in split(data)]


_models: dict[str, Any] = {}


def _model(run_dir: str) -> Any:
    """The model of `run_dir`, loaded once per worker process, single-process (workers are the cores),
    its weights decoded at once: every part, however small, is then scored through the same dense
    product as an in-process run's batches, so near-ties rank the same (the row-by-row path for a
    few texts can differ in the last float bit)."""
    if run_dir not in _models:
        model = runs.load_model(run_dir).set_params(n_jobs=1)
        _ = model.coef_
        _models[run_dir] = model
    return _models[run_dir]


def tag_part(index: int, path: str, part: Part, run_dir: str, out_dir: str, format: str,
             options: dict[str, Any]) -> dict[str, Any]:
    """On a worker: tag one part and write it as part-<index>.<format>; what it read, skipped and repaired."""
    model = _model(run_dir)
    predictions, skipped, repaired, numbered = [], [], [], 0
    columns = {k: options[k] for k in ("text_col", "title_col", "id_col", "section_col")}
    for batch in iter_articles(path, part=part, tags_col=None, require_tags=False, on_error=options["on_error"],
                               **columns):
        skipped += [(s.where, s.reason) for s in batch.skipped]
        repaired += batch.repaired
        numbered += batch.numbered
        predictions += predict(model, batch.texts, ids=batch.ids, top_k=options["top_k"],
                               threshold=options["threshold"], min_share=options["min_share"])
    target = Path(out_dir) / f"part-{index:05d}.{format}"
    if format == "jsonl":
        atomic_write_text(target, "".join(p.to_json() + "\n" for p in predictions))
    elif format == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(["id", "tags", "scores"])
        writer.writerows(p.csv_row() for p in predictions)
        atomic_write_text(target, buffer.getvalue())
    else:
        import pandas as pd

        frame = pd.DataFrame({"id": [p.id for p in predictions], "tags": [list(p.tags) for p in predictions],
                              "scores": [p.to_json() for p in predictions]})
        atomic_write(target, lambda tmp: frame.to_parquet(tmp, index=False))
    return {"part": target.name, "file": path, "articles": len(predictions), "skipped": skipped,
            "repaired": repaired, "numbered": numbered}


def predict_on_cluster(model: str | Path | None, data: str | Path, out: str | Path, *, address: str,
                       format: str = "jsonl", text_col: str = "text", title_col: str | None = "title",
                       id_col: str | None = None, top_k: int | None = None, threshold: float | None = None,
                       min_share: float | None = None, on_error: OnError = "raise", section_col: str | None = runs.AUTO,
                       progress: Progress | None = None) -> dict[str, Any]:
    """Tag the corpus `data` (a file, or a folder of files) on the Dask cluster at `address`, one
    part file per part in `out`. Returns a summary: parts, articles, skipped and repaired records, the
    articles without an id (`numbered`: named by their line), the model."""
    if format not in FORMATS:
        raise DataError(f"--format must be one of {', '.join(FORMATS)} with --dask; got {format!r}")
    progress = progress or no_progress
    run_dir = str(runs.resolve_model_dir(model))
    section_col = runs.section_column(runs.load_model(run_dir), section_col)  # a bad model fails here, once
    parts = corpus_parts(data)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    for old in out.glob("part-*.*"):  # a rerun replaces the parts; none may be left from a larger run
        old.unlink()
    options = {"text_col": text_col, "title_col": title_col, "id_col": id_col, "section_col": section_col,
               "top_k": top_k, "threshold": threshold, "min_share": min_share, "on_error": on_error}
    try:
        with cluster(address) as client:
            from distributed import as_completed

            futures = [client.submit(tag_part, i, path, part, run_dir, str(out), format, options, pure=False)
                       for i, (path, part) in enumerate(parts)]
            results = []
            progress("tagging", 0, len(parts))
            for done, future in enumerate(as_completed(futures), 1):
                results.append(future.result())
                progress("tagging", done, len(parts))
    except DataError:
        raise
    except Exception as exc:  # a worker's error comes back as its own type
        raise DataError(f"tagging on the cluster failed: {type(exc).__name__}: {exc}") from None
    results.sort(key=lambda r: r["part"])
    return {"model": run_dir, "out": str(out), "parts": len(results), "articles": sum(r["articles"] for r in results),
            "skipped": [s for r in results for s in r["skipped"]], "files": [r["part"] for r in results],
            "repaired": [w for r in results for w in r["repaired"]], "numbered": sum(r["numbered"] for r in results)}
