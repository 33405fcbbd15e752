#!/usr/bin/env python3
"""The editor's page end to end: serve a run (`classifier serve` on 127.0.0.1, a free port), open
`/` in headless Chromium (selenium, Debian's chromium and chromedriver), paste an article, click
Suggest, read the suggested tags, click one and read the words marked in the text, send the
feedback and check the feedback file got it, and check the browser console stayed clean.

usage: python scripts/check_page.py [--model RUN] [--article FILE] [--expect TAGS] [--at-least N]
                                    [--evidence-for TAG] [--screenshot OUT.png]

By default it checks the issue's seed article (../shared/seeds/000_1e0087e37c6009fe.txt: its first
line is the title) with the latest run: at least two of Israël, Maroc, défense, armée, diplomatie
suggested, and Israël's evidence names words of the text. With no run at all it first trains one on
the bundled corpus, in a temporary folder. Prints one JSON object; exit code 0 when every check
passed, 1 otherwise, 2 when something it needs is missing.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import unicodedata
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("CLASSIFIER_SHARED") or REPO.parent / "shared")
SEED = SHARED / "seeds" / "000_1e0087e37c6009fe.txt"
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run", "--window-size=1280,1000"]
ELISION = re.compile(r"^(?:[cdjlmnst]|qu|jusqu|lorsqu|puisqu|quoiqu)'")


def normalise(word: str) -> str:
    """A written word as the page compares it with the evidence words."""
    word = unicodedata.normalize("NFC", word).lower()
    for mark in ("\u2019", "\u2018", "\u02bc", "`", "\u00b4", "\u2032"):
        word = word.replace(mark, "'")
    return ELISION.sub("", word)


def a_run(model: str | None, work: Path) -> tuple[Path, bool]:
    """The run to serve, and whether it was trained here."""
    from classifier import ModelError, resolve_model_dir

    if model is not None:
        return resolve_model_dir(model), False
    try:
        return resolve_model_dir(None), False
    except ModelError:
        pass  # no run yet
    out = work / "run"
    print("no run found: training one on the bundled corpus", file=sys.stderr)
    subprocess.run([sys.executable, "-m", "classifier", "train", "--quiet", "--out", str(out)], check=True,
                   stdout=subprocess.DEVNULL, timeout=1800)
    return out, True


def serve(run: Path, feedback: Path, log: Path, timeout: float) -> tuple[subprocess.Popen, str]:
    """`classifier serve` on a free port of 127.0.0.1, once it says it is ready."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([sys.executable, "-m", "classifier", "serve", "--model", str(run), "--host", "127.0.0.1",
                             "--port", str(port), "--feedback", str(feedback)],
                            stdout=log.open("wb"), stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            said = log.read_text(errors="replace")[-2000:]
            raise RuntimeError(f"classifier serve exited ({proc.returncode}): {said}")
        try:
            with urllib.request.urlopen(base + "/readyz", timeout=2) as r:
                if r.status == 200:
                    return proc, base
        except OSError:
            time.sleep(0.2)
    proc.terminate()
    raise RuntimeError(f"classifier serve was not ready within {timeout:g} s")


def browser(chromium: str, chromedriver: str, profile: Path):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in [*CHROMIUM_FLAGS, f"--user-data-dir={profile}"]:
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(chromedriver))
    driver.set_page_load_timeout(30)
    return driver


def drive(driver, base: str, title: str, text: str, evidence_for: str, screenshot: Path | None,
          timeout: float) -> dict:
    """Paste, suggest, click `evidence_for` (else the first suggested tag), send; what the page showed."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    def css(selector):
        return driver.find_elements(By.CSS_SELECTOR, selector)

    def until(condition):
        return WebDriverWait(driver, timeout).until(lambda d: condition())

    driver.get(base + "/")
    until(lambda: css("#learned-tags option"))
    css("#title")[0].send_keys(title)
    driver.execute_script("document.getElementById('article').value = arguments[0]", text)  # a paste
    css("#suggest")[0].click()
    until(lambda: css("[data-tag]") and "suggested" in css("#status")[0].text)
    suggested = [e.get_attribute("data-tag") for e in css('#suggested [data-tag][data-decided="true"]')]
    candidates = [e.get_attribute("data-tag") for e in css('#candidates [data-tag][data-decided="false"]')]
    clicked = evidence_for if evidence_for in suggested + candidates else (suggested or candidates)[0]
    [item] = [e for e in css("[data-tag]") if e.get_attribute("data-tag") == clicked]
    item.find_element(By.CSS_SELECTOR, ".tag-name").click()
    marks = [(m.text, m.get_attribute("class")) for m in css("#view mark")]
    why = [w.text for w in css("#why .w")]
    if screenshot is not None:
        driver.save_screenshot(str(screenshot))
    css("#send")[0].click()
    until(lambda: re.search("Feedback recorded|Could not", css("#status")[0].text))
    return {"suggested": suggested, "candidates": candidates, "clicked": clicked, "marks": marks, "why": why,
            "status": css("#status")[0].text, "model": css("#model")[0].text.removeprefix("model: ")}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", default=None, help="run folder to serve (default: the latest; none: train one)")
    ap.add_argument("--article", type=Path, default=SEED, help="article to paste: first line the title")
    ap.add_argument("--expect", default="Israël,Maroc,défense,armée,diplomatie", help="tags, comma-separated")
    ap.add_argument("--at-least", type=int, default=2, help="how many of --expect must be suggested")
    ap.add_argument("--evidence-for", default="Israël", help="the tag to click; its marked words must be the text's")
    ap.add_argument("--screenshot", type=Path, default=None, help="PNG of the page with that tag clicked")
    ap.add_argument("--chromium", default=shutil.which("chromium") or "/usr/bin/chromium")
    ap.add_argument("--chromedriver", default=shutil.which("chromedriver") or "/usr/bin/chromedriver")
    ap.add_argument("--timeout", type=float, default=120.0, help="seconds to wait for the server and the page")
    args = ap.parse_args()
    for what, path in (("article", args.article), ("chromium", args.chromium), ("chromedriver", args.chromedriver)):
        if not Path(path).exists():
            print(f"{what} not found at {path}", file=sys.stderr)
            return 2
    title, _, text = args.article.read_text(encoding="utf-8").strip().partition("\n")
    text = text.strip()
    with tempfile.TemporaryDirectory(prefix="check-page-") as tmp:
        work = Path(tmp)
        run, trained = a_run(args.model, work)
        feedback = work / "feedback.jsonl"
        proc, base = serve(run, feedback, work / "serve.log", args.timeout)
        driver = None
        try:
            driver = browser(args.chromium, args.chromedriver, work / "profile")
            seen = drive(driver, base, title, text, args.evidence_for, args.screenshot, args.timeout)
            errors = [e["message"] for e in driver.get_log("browser") if e["level"] == "SEVERE"]
        finally:
            if driver is not None:
                driver.quit()
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
        events = [json.loads(line) for line in feedback.read_text(encoding="utf-8").splitlines()] \
            if feedback.exists() else []
    expected = [t.strip() for t in args.expect.split(",") if t.strip()]
    hits = [t for t in expected if t in seen["suggested"]]
    words = {normalise(w) for w in re.findall(r"[\w'\u2019]+", f"{title}\n{text}")}
    marked = [w for w, _ in seen["marks"]]
    checks = {
        "expected_suggested": len(hits) >= args.at_least,
        "evidence_marks_words_of_the_text": bool(marked) and seen["clicked"] == args.evidence_for
        and all(normalise(w) in words for w in marked),
        "feedback_recorded": bool(events) and events[-1]["text"] == text
        and events[-1]["accepted"] == seen["suggested"],
        "console_clean": errors == [],
    }
    print(json.dumps({"model": seen["model"], "trained_here": trained, "suggested": seen["suggested"],
                      "candidates": seen["candidates"], "expected_suggested": hits, "clicked": seen["clicked"],
                      "marked": sorted(set(marked), key=marked.index), "why": seen["why"], "status": seen["status"],
                      "console_errors": errors, "checks": checks, "ok": all(checks.values()),
                      "screenshot": str(args.screenshot) if args.screenshot else None}, ensure_ascii=False))
    return 0 if all(checks.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
