"""Open the built documentation in headless Chromium and check that its pages render.

    python docs/check_browser.py [docs/_build/html]

Serves the built HTML on 127.0.0.1, loads the index, one API page and one
gallery page in headless Chromium, and checks on each: the page title, the
theme's navigation, its stylesheet fetched, and on the gallery page every
figure image fetched by the browser (the server's log says which files the
browser asked for). Screenshots land in ``<html>/../screenshots``. Exits 0
with "SKIPPED" when no Chromium is installed (Debian: ``apt-get install
chromium``), 1 when a check fails.
"""

from __future__ import annotations

import functools
import http.server
import re
import shutil
import subprocess
import sys
import threading
from pathlib import Path

PAGES = {
    "index.html": ["audiosk"],
    "generated/audiosk.features.MelSpectrogram.html": ["MelSpectrogram", "Parameters", "n_mels"],
    "auto_examples/plot_spectrograms.html": ["Spectrograms with real axes", "plot_spectrogram"],
}


def find_chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        if path := shutil.which(name):
            return path
    return None


def serve(root: Path):
    fetched: list[tuple[str, int]] = []

    class Handler(http.server.SimpleHTTPRequestHandler):
        def log_request(self, code="-", size="-"):
            fetched.append((self.path.split("?")[0], int(code) if str(code).isdigit() else 0))

        def log_message(self, format, *args):  # quiet: the checks report what matters
            pass

    httpd = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(Handler, directory=str(root))
    )
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return httpd, fetched


def chromium(binary: str, *args: str) -> str:
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars"]
    flags += ["--window-size=1280,2400", "--virtual-time-budget=15000"]
    result = subprocess.run(
        [binary, *flags, *args], capture_output=True, text=True, timeout=120, check=False
    )
    return result.stdout


def main() -> int:
    root = Path(sys.argv[1] if len(sys.argv) > 1 else Path(__file__).parent / "_build" / "html")
    binary = find_chromium()
    if binary is None:
        print("SKIPPED: no Chromium found (install Debian's chromium package to run this check).")
        return 0
    if not (root / "index.html").exists():
        print(f"FAILED: {root}/index.html not found; build the docs first.")
        return 1
    shots = root.parent / "screenshots"
    shots.mkdir(exist_ok=True)
    httpd, fetched = serve(root)
    base = f"http://127.0.0.1:{httpd.server_address[1]}/"
    failures = []
    for page, texts in PAGES.items():
        fetched.clear()
        dom = chromium(binary, "--dump-dom", base + page)
        chromium(binary, f"--screenshot={shots / (Path(page).stem + '.png')}", base + page)
        title = re.search(r"<title>(.*?)</title>", dom, re.S)
        checks = {
            "a title naming audiosk": bool(title and "audiosk" in title.group(1)),
            "the navigation bar": 'class="bd-header' in dom or "bd-navbar" in dom,
            "the sidebar": "bd-sidebar" in dom,
            "the theme's stylesheet fetched": any(
                p.endswith(".css") and "pydata-sphinx-theme" in p and c == 200 for p, c in fetched
            ),
        }
        missing = [p for p, c in fetched if c == 404 and not p.endswith("favicon.ico")]
        checks[f"no missing file (404: {missing[:3]})"] = not missing
        checks.update({f"the text {t!r}": t in dom for t in texts})
        if page.startswith("auto_examples/"):
            images = set(re.findall(r'<img[^>]+src="([^"]*sphx_glr_[^"]+\.png)"', dom))
            got = {p for p, c in fetched if c == 200}
            loaded = {
                i for i in images if any(p.endswith(i.lstrip("./").split("/")[-1]) for p in got)
            }
            checks["at least one gallery image"] = bool(images)
            checks["every gallery image fetched by the browser"] = bool(images) and loaded == images
        bad = [name for name, ok in checks.items() if not ok]
        status = "ok" if not bad else "FAILED: " + ", ".join(bad)
        print(f"{page}: {status} (title {title.group(1).strip() if title else None!r})")
        failures += bad
    httpd.shutdown()
    print(f"screenshots in {shots}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
