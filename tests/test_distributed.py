"""Tagging (and the primal path's fits) on a Dask cluster the tests start themselves."""

import json

import pandas as pd
import pytest
from typer.testing import CliRunner

from classifier import DataError, load_articles, predict, predict_on_cluster
from classifier.api import distributed as dist
from classifier.cli.app import app
from classifier.corpus.reader import split

distributed = pytest.importorskip("distributed")


@pytest.fixture(scope="module")
def cluster():
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as c:
        yield c


@pytest.fixture()
def small_parts(monkeypatch):
    """Parts of a few kilobytes, so the tiny corpus spreads over many tasks."""
    monkeypatch.setattr(dist, "split", lambda path: split(path, target_bytes=20_000))


def lines_of(folder, suffix="jsonl"):
    return [line for p in sorted(folder.glob(f"part-*.{suffix}")) for line in p.read_text().splitlines()]


def test_the_parts_hold_what_the_in_process_run_prints(cluster, trained, mini_path, tmp_path, small_parts):
    summary = predict_on_cluster(trained.run_dir, mini_path, tmp_path / "out", address=cluster.scheduler_address)
    assert summary["parts"] > 3 and summary["articles"] == 150 and summary["skipped"] == summary["repaired"] == []
    assert summary["numbered"] == 0
    corpus = load_articles(mini_path)  # training keeps no texts
    local = predict(trained.model, corpus.texts, ids=corpus.ids)
    assert lines_of(tmp_path / "out") == [p.to_json() for p in local]


def test_a_folder_of_files_and_other_formats(cluster, trained, mini_path, tmp_path):
    rows = mini_path.read_text(encoding="utf-8").splitlines()
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a.jsonl").write_text("\n".join(rows[:70]) + "\n", encoding="utf-8")
    pd.DataFrame([json.loads(r) for r in rows[70:]]).to_parquet(folder / "b.parquet")
    summary = predict_on_cluster(trained.run_dir, folder, tmp_path / "csv", address=cluster.scheduler_address,
                                 format="csv")
    assert summary["files"] == ["part-00000.csv", "part-00001.csv"] and summary["articles"] == 150
    predict_on_cluster(trained.run_dir, folder, tmp_path / "pq", address=cluster.scheduler_address, format="parquet")
    frame = pd.concat(pd.read_parquet(p) for p in sorted((tmp_path / "pq").glob("part-*.parquet")))
    assert frame["id"].tolist() == [json.loads(r)["id"] for r in rows]


def test_a_broken_line_is_named_or_skipped(cluster, trained, mini_path, tmp_path, small_parts):
    rows = mini_path.read_text(encoding="utf-8").splitlines()
    bad = tmp_path / "bad.jsonl"
    bad.write_text("\n".join(rows[:130] + ["{oops"] + rows[130:]) + "\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"bad\.jsonl:131: invalid JSON"):
        predict_on_cluster(trained.run_dir, bad, tmp_path / "o1", address=cluster.scheduler_address)
    summary = predict_on_cluster(trained.run_dir, bad, tmp_path / "o2", address=cluster.scheduler_address,
                                 on_error="skip")
    assert summary["articles"] == 150 and [w.rsplit(":", 1)[1] for w, _ in summary["skipped"]] == ["131"]


def test_cli(cluster, trained, mini_path, tmp_path):
    runner = CliRunner()
    r = runner.invoke(app, ["predict", "--model", str(trained.run_dir), "--file", str(mini_path), "--dask",
                            cluster.scheduler_address, "--out", str(tmp_path / "o"), "--format", "jsonl"])
    assert r.exit_code == 0, r.output
    assert len(lines_of(tmp_path / "o")) == 150 and "Tagged 150 articles" in r.output
    noid = tmp_path / "noid.jsonl"
    noid.write_text("".join(json.dumps({k: v for k, v in json.loads(line).items() if k != "id"}) + "\n"
                            for line in mini_path.read_text(encoding="utf-8").splitlines()), encoding="utf-8")
    r = runner.invoke(app, ["predict", "--model", str(trained.run_dir), "--file", str(noid), "--dask",
                            cluster.scheduler_address, "--out", str(tmp_path / "n"), "-q"])
    assert r.exit_code == 0, r.output
    assert "150 of 150 articles have no 'id' field" in r.output
    assert [json.loads(line)["id"] for line in lines_of(tmp_path / "n")][:2] == ["1", "2"]
    r = runner.invoke(app, ["predict", "--file", str(mini_path), "--dask", cluster.scheduler_address])
    assert r.exit_code == 2 and "--out" in r.output
    r = runner.invoke(app, ["predict", "--model", str(trained.run_dir), "--file", str(mini_path), "--format",
                            "parquet"])
    assert r.exit_code == 2
    r = runner.invoke(app, ["predict", "--model", str(trained.run_dir), "--file", str(mini_path), "--dask",
                            "tcp://127.0.0.1:9", "--out", str(tmp_path / "x")])
    assert r.exit_code == 1 and "cannot reach the Dask scheduler" in r.output


def test_training_on_the_cluster_makes_the_local_model(cluster, mini_path, tmp_path):
    import numpy as np

    from classifier import load_model, train

    local = train(mini_path, out=tmp_path / "local", min_tag_count=3, solver="primal")
    remote = train(mini_path, out=tmp_path / "remote", min_tag_count=3, solver="primal",
                   dask=cluster.scheduler_address)
    assert remote.manifest["cluster"] == {"address": cluster.scheduler_address, "workers": 2}
    a, b = load_model(tmp_path / "local"), load_model(tmp_path / "remote")
    assert np.array_equal(a.coef_, b.coef_) and np.array_equal(a.thresholds_, b.thresholds_)
    assert np.array_equal(a.calibration_[0], b.calibration_[0]) and local.manifest["cluster"] is None
    small = train(mini_path, out=tmp_path / "dual", min_tag_count=3, dask=cluster.scheduler_address)
    assert small.manifest["cluster"] is None and any("nothing was sent" in n for n in small.notes)
