#!/usr/bin/env python3
"""Load benchmark of `classifier serve`: /v1/tag at a fixed concurrency, with and without explain, then /v1/tag-batch.

usage: python scripts/bench_service.py [--model DIR] [--workers 2] [--requests 5000] [--concurrency 8] [--reload]
                                       [--json OUT]

Starts `classifier serve --workers N` on 127.0.0.1 (a free port) with the run --model (default: the
latest; with none, one is trained on the bundled corpus first), waits until every worker is ready,
then sends a fixed number of requests and stops by itself: --requests single-article POST /v1/tag
at --concurrency (keep-alive connections, articles of --corpus in turn), the same with
`explain: true` (--explain-requests), and --batch-requests POST /v1/tag-batch of --batch-size
articles. It reports requests/s, p50/p99 latency and errors of each phase, the batch endpoint's
articles/s and each worker's RSS. With --reload, a reload (to --reload-run, default the same run)
is sent in the middle of the first phase: every response must still succeed and name a run.
The client is a lean asyncio HTTP/1.1 client on raw sockets, so that it takes little of the CPU the
server shares. Targets (2 workers on a 2-core machine): >= 500 requests/s and p99 < 50 ms.
Quick run on the fixture: --model RUN --corpus tests/fixtures/mini_fr.jsonl --requests 200 --explain-requests 50
--batch-requests 2 --batch-size 20.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from classifier import load_articles
from classifier.corpus.articles import DEFAULT_TEST

TARGETS = {"requests_per_s": 500.0, "p99_ms": 50.0}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http_request(method: str, path: str, body: bytes | None = None, headers: dict[str, str] | None = None) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1"]
    lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
    if body is not None:
        lines += ["Content-Type: application/json", f"Content-Length: {len(body)}"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + (body or b"")


async def exchange(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, request: bytes) -> tuple[int, bytes]:
    """Send one request on a keep-alive connection and read its whole response: (status, body)."""
    writer.write(request)
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    length = 0
    for line in head.split(b"\r\n"):
        if line[:15].lower() == b"content-length:":
            length = int(line[15:])
    return status, await reader.readexactly(length)


def run_name(body: bytes) -> str | None:
    at = body.find(b'"model":"')
    if at < 0:
        return None
    start = at + 9
    return body[start:body.find(b'"', start)].decode()


HEALTH = http_request("GET", "/healthz")


async def balanced(port: int, count: int, workers: int) -> tuple[list, dict[int, int]]:
    """`count` keep-alive connections spread evenly over the server's workers. Workers share one
    listening socket, and an idle worker's event loop accepts every connection waiting at once, so
    8 connections opened together may all land on one worker; each new connection asks /healthz
    which worker holds it and is kept only while that worker has less than its share (bounded
    tries; the counts are reported)."""
    kept: list = []
    per: Counter = Counter()
    share = -(-count // workers)
    for attempt in range(40 * count):
        if len(kept) == count:
            break
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        _, body = await exchange(reader, writer, HEALTH)
        pid = json.loads(body)["worker"]
        if per[pid] < share or attempt >= 30 * count:
            per[pid] += 1
            kept.append((reader, writer))
        else:
            writer.close()
            await asyncio.sleep(0.005)  # give a worker that was busy time to reach its accept
    while len(kept) < count:
        kept.append(await asyncio.open_connection("127.0.0.1", port))
    return kept, dict(per)


async def load(port: int, requests: list[bytes], total: int, concurrency: int,
               midway: asyncio.Event | None = None, workers: int = 1) -> dict:
    """`total` requests (cycling through `requests`) over `concurrency` connections, balanced over `workers`."""
    connections, per_worker = await balanced(port, concurrency, workers)
    latencies: list[float] = []
    errors: Counter = Counter()
    runs: Counter = Counter()
    next_index = 0

    async def worker(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal next_index
        try:
            while next_index < total:
                i = next_index
                next_index += 1
                if midway is not None and i == total // 2:
                    midway.set()
                start = time.perf_counter()
                try:
                    status, body = await asyncio.wait_for(exchange(reader, writer, requests[i % len(requests)]), 30)
                except (TimeoutError, OSError, asyncio.IncompleteReadError) as exc:
                    errors[type(exc).__name__] += 1
                    writer.close()
                    reader, writer = await asyncio.open_connection("127.0.0.1", port)
                    continue
                latencies.append(time.perf_counter() - start)
                if status != 200:
                    errors[str(status)] += 1
                runs[run_name(body)] += 1
        finally:
            writer.close()

    started = time.perf_counter()
    await asyncio.gather(*(worker(r, w) for r, w in connections))
    seconds = time.perf_counter() - started
    latencies.sort()

    def pct(q: float) -> float:
        return round(1000 * latencies[min(len(latencies) - 1, int(q * len(latencies)))], 2) if latencies else 0.0

    return {"requests": total, "concurrency": concurrency, "seconds": round(seconds, 3),
            "requests_per_s": round(total / seconds, 1), "p50_ms": pct(0.50), "p99_ms": pct(0.99),
            "max_ms": pct(1.0), "errors": dict(errors), "runs": {str(k): v for k, v in runs.items()},
            "connections_per_worker": list(per_worker.values())}


async def one(port: int, request: bytes) -> tuple[int, bytes]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        return await asyncio.wait_for(exchange(reader, writer, request), 60)
    finally:
        writer.close()


async def with_reload(port: int, requests: list[bytes], total: int, concurrency: int, reload: bytes,
                      workers: int) -> dict:
    midway = asyncio.Event()

    async def reloader() -> dict:
        await midway.wait()
        status, body = await one(port, reload)
        return {"status": status, "model": run_name(body)}

    result, reloaded = await asyncio.gather(load(port, requests, total, concurrency, midway, workers), reloader())
    result["reload"] = reloaded
    return result


def rss_mib(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        return None
    return None


def cpu_seconds(pids: list[int]) -> float:
    """CPU time (user + system) the processes have used so far."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
        except (OSError, IndexError, ValueError):
            pass
    return total / os.sysconf("SC_CLK_TCK")


def phase(pids: list[int], work) -> dict:
    """Run one phase; add the server's and this client's CPU time per request: what a request costs
    whatever else the machine is doing."""
    server, client = cpu_seconds(pids), time.process_time()
    each = [cpu_seconds([pid]) for pid in pids]
    result = asyncio.run(work)
    result["server_cpu_ms_per_request"] = round(1000 * (cpu_seconds(pids) - server) / result["requests"], 3)
    used = [cpu_seconds([pid]) - before for pid, before in zip(pids, each)]
    result["worker_cpu_share"] = [round(u / sum(used), 2) if sum(used) else 0.0 for u in used]  # balance
    result["client_cpu_ms_per_request"] = round(1000 * (time.process_time() - client) / result["requests"], 3)
    return result


def wait_ready(port: int, workers: int, timeout: float) -> list[int]:
    """The pids of `workers` ready workers, asked on new connections (bounded by `timeout`)."""
    seen: set[int] = set()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and len(seen) < workers:
        try:
            status, body = asyncio.run(one(port, http_request("GET", "/readyz", headers={"Connection": "close"})))
            if status == 200:
                seen.add(json.loads(body)["worker"])
        except (OSError, asyncio.IncompleteReadError, ValueError):
            pass
        time.sleep(0.05)
    if len(seen) < workers:
        raise SystemExit(f"only {len(seen)} of {workers} workers were ready after {timeout:.0f} s")
    return sorted(seen)


def latest_or_trained(model: str | None) -> str:
    if model:
        return model
    from classifier import artifacts_root

    latest = artifacts_root() / "latest"
    if not latest.exists():
        print("no trained run: training one on the bundled corpus first", file=sys.stderr)
        subprocess.run([sys.executable, "-m", "classifier", "train", "--quiet"], check=True)
    return str(latest.resolve())


def report(name: str, r: dict) -> str:
    line = (f"{name:<22} {r['requests']:>6} requests at concurrency {r['concurrency']}: {r['requests_per_s']:>7.1f} "
            f"req/s, p50 {r['p50_ms']:.2f} ms, p99 {r['p99_ms']:.2f} ms, errors {sum(r['errors'].values())}, "
            f"runs {r['runs']}; CPU per request: server {r['server_cpu_ms_per_request']:.2f} ms, client "
            f"{r['client_cpu_ms_per_request']:.2f} ms; connections per worker {r['connections_per_worker']}, "
            f"workers' CPU shares {r['worker_cpu_share']}")
    if "reload" in r:
        line += f"; reload mid-run -> {r['reload']}"
    return line


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", help="run folder to serve (default: the latest; trained first if there is none)")
    ap.add_argument("--corpus", default=str(DEFAULT_TEST), help="articles to send (default: the bundled test split)")
    ap.add_argument("--workers", type=int, default=2, help="server worker processes")
    ap.add_argument("--requests", type=int, default=5000, help="single-article /v1/tag requests")
    ap.add_argument("--explain-requests", type=int, default=2000, help="the same with explain: true")
    ap.add_argument("--concurrency", type=int, default=8, help="connections sending at once")
    ap.add_argument("--batch-requests", type=int, default=20, help="/v1/tag-batch requests")
    ap.add_argument("--batch-size", type=int, default=100, help="articles per batch request")
    ap.add_argument("--reload", action="store_true", help="reload the model in the middle of the first phase")
    ap.add_argument("--reload-run", help="the run to reload to (default: the served one)")
    ap.add_argument("--timeout", type=float, default=180, help="seconds to wait for the workers to be ready")
    ap.add_argument("--json", dest="json_out", help="also write the results to this JSON file")
    args = ap.parse_args()
    model = latest_or_trained(args.model)
    corpus = load_articles(args.corpus, require_tags=False)
    texts = corpus.texts[:500]
    singles = [http_request("POST", "/v1/tag", json.dumps({"text": t}).encode()) for t in texts]
    explained = [http_request("POST", "/v1/tag", json.dumps({"text": t, "explain": True}).encode()) for t in texts]
    batches = [http_request("POST", "/v1/tag-batch", json.dumps(
        {"documents": [{"id": str(i), "text": texts[(k * args.batch_size + i) % len(texts)]}
                       for i in range(args.batch_size)]}).encode()) for k in range(4)]
    token = secrets.token_hex(16)
    reload = http_request("POST", "/v1/admin/reload", json.dumps({"run": args.reload_run or model}).encode(),
                          {"Authorization": f"Bearer {token}"})
    port = free_port()
    env = {**os.environ, "CLASSIFIER_ADMIN_TOKEN": token}
    with tempfile.TemporaryDirectory() as tmp:
        log = open(Path(tmp) / "server.log", "w+b")
        server = subprocess.Popen([sys.executable, "-m", "classifier", "serve", "--model", model, "--port", str(port),
                                   "--workers", str(args.workers), "--feedback", str(Path(tmp) / "fb.jsonl")],
                                  env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            pids = wait_ready(port, args.workers, args.timeout)
            w = args.workers
            asyncio.run(load(port, singles, min(200, args.requests), args.concurrency, workers=w))  # warm-up
            results: dict = {"model": model, "workers": args.workers, "cores": os.cpu_count(),
                             "load_average": os.getloadavg()[0]}
            run = with_reload(port, singles, args.requests, args.concurrency, reload, w) if args.reload else \
                load(port, singles, args.requests, args.concurrency, workers=w)
            results["tag"] = phase(pids, run)
            results["tag_explain"] = phase(pids, load(port, explained, args.explain_requests, args.concurrency,
                                                      workers=w))
            batch = phase(pids, load(port, batches, args.batch_requests, min(2, args.concurrency), workers=w))
            batch["articles_per_s"] = round(args.batch_requests * args.batch_size / batch["seconds"], 1)
            results["tag_batch"] = batch
            results["rss_mib"] = {str(pid): rss_mib(pid) for pid in pids}
        finally:
            server.send_signal(signal.SIGTERM)
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)  # the group this script started
                server.wait(timeout=10)
            log.seek(0)
            server_log = log.read().decode(errors="replace")
            log.close()
    results["server_tracebacks"] = server_log.count("Traceback")
    tag = results["tag"]
    results["targets"] = {**TARGETS, "passed": tag["requests_per_s"] >= TARGETS["requests_per_s"]
                          and tag["p99_ms"] < TARGETS["p99_ms"] and not tag["errors"]}
    print(f"serve --workers {args.workers} on {os.cpu_count()} cores (load average {results['load_average']:.2f} "
          f"before the run), model {model}")
    print(report("POST /v1/tag", tag))
    print(report("POST /v1/tag explain", results["tag_explain"]))
    print(report(f"POST /v1/tag-batch x{args.batch_size}", batch) + f"; {batch['articles_per_s']:.1f} articles/s")
    print(f"worker RSS (MiB): {results['rss_mib']}; tracebacks in the server log: {results['server_tracebacks']}")
    verdict = "PASS" if results["targets"]["passed"] else "FAIL"
    print(f"{verdict}: target >= {TARGETS['requests_per_s']:.0f} req/s and p99 < {TARGETS['p99_ms']:.0f} ms on /v1/tag")
    if args.json_out:
        Path(args.json_out).write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
