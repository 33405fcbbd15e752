#!/usr/bin/env python3
"""Open report.html in headless Chromium with no network, check that every image rendered and no
JavaScript error was raised, and take a screenshot.

usage: python scripts/check_report.py REPORT.html [--screenshot OUT.png] [--chromium /usr/bin/chromium]

Chromium comes from Debian's package (`apt-get install chromium`). The check runs on a copy of the
report with a small probe script added first in <head>: it records errors and, once the page has
loaded, whether each <img> decoded (complete, with a natural width); `--dump-dom` prints the result.
Exit code 0 when the page is sound, 1 otherwise.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

PROBE = """<script>
window.__errors = [];
window.addEventListener("error", function (e) { window.__errors.push(String(e.message || e.type)); }, true);
window.addEventListener("load", function () {
  var imgs = Array.from(document.images);
  var broken = imgs.filter(function (i) { return !(i.complete && i.naturalWidth > 0); })
    .map(function (i) { return i.alt; });
  var out = document.createElement("pre");
  out.id = "__probe";
  out.textContent = JSON.stringify({images: imgs.length, broken: broken, errors: window.__errors});
  document.body.appendChild(out);
});
</script>"""

OFFLINE = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
           "--disable-component-update", "--disable-sync", "--disable-quic", "--proxy-server=127.0.0.1:9",
           "--host-resolver-rules=MAP * ~NOTFOUND", "--virtual-time-budget=10000"]


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("report")
    ap.add_argument("--screenshot", default=None)
    ap.add_argument("--chromium", default=shutil.which("chromium") or "/usr/bin/chromium")
    args = ap.parse_args()
    report = Path(args.report).resolve()
    if not Path(args.chromium).exists():
        print(f"chromium not found at {args.chromium}; install it with: apt-get install chromium", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as tmp:
        probed = Path(tmp) / "probed.html"
        page = report.read_text(encoding="utf-8")
        probed.write_text(page.replace("<head>", "<head>" + PROBE, 1), encoding="utf-8")
        profile = ["--user-data-dir=" + str(Path(tmp) / "profile")]
        dom = subprocess.run([args.chromium, *OFFLINE, *profile, "--dump-dom", probed.as_uri()],
                             capture_output=True, text=True, timeout=120).stdout
        shot = Path(args.screenshot or report.with_name("report_screenshot.png")).resolve()
        subprocess.run([args.chromium, *OFFLINE, *profile, f"--screenshot={shot}", "--window-size=1200,2400",
                        report.as_uri()], capture_output=True, timeout=120)
    match = re.search(r'<pre id="__probe">(.*?)</pre>', dom, re.S)
    if not match:
        print("the page did not finish loading (no probe result)")
        return 1
    result = json.loads(match.group(1).replace("&quot;", '"').replace("&amp;", "&"))
    ok = result["images"] > 0 and not result["broken"] and not result["errors"] and shot.exists()
    print(json.dumps({**result, "screenshot": str(shot), "ok": ok}, ensure_ascii=False))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
