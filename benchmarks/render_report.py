"""Open an asnclf HTML report in headless Chromium, check that it shows, and take a screenshot.

    python benchmarks/render_report.py benchmarks/results/bench_indonlu.html \
        --screenshot benchmarks/results/bench_indonlu_screenshot.png

Checks, each reported in the JSON printed at the end (exit status 0 only when all pass):

1. the file is self-contained: no ``<script>``, no ``src``/``href`` pointing off the page, every
   image a ``data:`` URI;
2. Chromium loads it: with chromedriver (Debian ``chromium-driver``) the page title, the report's
   ``<main id="asnclf-report">`` and every image having decoded (``naturalWidth > 0``) are
   read from the live page; without chromedriver, from ``chromium --dump-dom``;
3. the screenshot is a PNG of the requested size that is not blank (enough non-white pixels and
   enough distinct shades).

Chromium runs with ``--headless --no-sandbox --disable-gpu --disable-background-networking
--disable-component-update --no-first-run --disable-sync``, a throw-away profile, and no network
use (the page has nothing to fetch). Exit status 2 when no Chromium is installed.
"""

from __future__ import annotations

import argparse
import base64
import html
import json
import re
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--hide-scrollbars",
    "--disable-dev-shm-usage",
]
REPORT_ID = "asnclf-report"


def find_browser() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        path = shutil.which(name)
        if path:
            return path
    return None


# ---------------------------------------------------------------------------- static checks
def static_checks(page: str) -> dict[str, Any]:
    """What the file itself says: title, report element, images, and nothing fetched from outside."""
    title = re.search(r"<title>(.*?)</title>", page, re.S)
    sources = re.findall(r"""\s(?:src|href)\s*=\s*["']([^"']*)["']""", page, re.I)
    external = [s for s in sources if not s.startswith(("data:", "#"))]
    images = re.findall(r"<img\s[^>]*src=\"([^\"]*)\"", page, re.I)
    return {
        "title": html.unescape(title.group(1).strip()) if title else None,
        "has_report_element": f'id="{REPORT_ID}"' in page,
        "images": len(images),
        "images_inline": all(s.startswith("data:image/png;base64,") for s in images),
        "external_references": external[:5],
        "scripts": len(re.findall(r"<script\b", page, re.I)),
    }


# ---------------------------------------------------------------------------- PNG checks
def png_size(data: bytes) -> tuple[int, int]:
    if data[:8] != b"\x89PNG\r\n\x1a\n" or data[12:16] != b"IHDR":
        raise ValueError("not a PNG file")
    return struct.unpack(">II", data[16:24])


def png_content(path: Path) -> dict[str, Any]:
    """Share of non-white pixels and number of distinct shades (matplotlib reads the PNG)."""
    import numpy as np
    from matplotlib.image import imread

    pixels = imread(str(path))[..., :3]
    grey = pixels.mean(axis=2)
    return {
        "non_white_share": round(float((grey < 0.97).mean()), 4),
        "distinct_shades": len(np.unique((grey * 255).astype(np.uint8))),
    }


# ---------------------------------------------------------------------------- chromium
def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _call(base: str, method: str, path: str, body: dict[str, Any] | None = None, timeout: float = 60) -> Any:
    data = None if body is None else json.dumps(body).encode("utf-8")
    request = urllib.request.Request(
        base + path, data=data, method=method, headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=timeout) as response:  # local chromedriver only
        return json.loads(response.read().decode("utf-8"))["value"]


def with_driver(browser: str, driver: str, url: str, width: int, height: int, screenshot: Path) -> dict[str, Any]:
    """Load the page through chromedriver (W3C WebDriver over localhost) and inspect it live."""
    port = _free_port()
    process = subprocess.Popen([driver, f"--port={port}"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                _call(base, "GET", "/status", timeout=2)
                break
            except OSError:
                time.sleep(0.1)
        with tempfile.TemporaryDirectory() as profile:
            capabilities = {
                "capabilities": {
                    "alwaysMatch": {
                        "browserName": "chrome",
                        "goog:chromeOptions": {
                            "binary": browser,
                            "args": [*FLAGS, f"--window-size={width},{height}", f"--user-data-dir={profile}"],
                        },
                    }
                }
            }
            session = _call(base, "POST", "/session", capabilities)["sessionId"]
            try:
                # The window size counts the browser's own bars: fix the viewport itself.
                _call(
                    base,
                    "POST",
                    f"/session/{session}/goog/cdp/execute",
                    {
                        "cmd": "Emulation.setDeviceMetricsOverride",
                        "params": {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False},
                    },
                )
                _call(base, "POST", f"/session/{session}/url", {"url": url})
                live = _call(
                    base,
                    "POST",
                    f"/session/{session}/execute/sync",
                    {
                        "args": [],
                        "script": (
                            "const images = Array.from(document.images);"
                            f"const main = document.getElementById('{REPORT_ID}');"
                            "return {title: document.title, has_report_element: !!main,"
                            " images: images.length,"
                            " images_decoded: images.filter(i => i.complete && i.naturalWidth > 0).length,"
                            " tables: document.querySelectorAll('table').length,"
                            " text_chars: main ? main.innerText.length : 0,"
                            " page_height: document.documentElement.scrollHeight};"
                        ),
                    },
                )
                png = base64.b64decode(_call(base, "GET", f"/session/{session}/screenshot"))
            finally:
                _call(base, "DELETE", f"/session/{session}")
    finally:
        process.terminate()
        process.wait(timeout=10)
    screenshot.write_bytes(png)
    return {"method": "chromedriver", **live}


def with_cli(browser: str, url: str, width: int, height: int, screenshot: Path) -> dict[str, Any]:
    """Fallback without chromedriver: ``--dump-dom`` for the rendered DOM, ``--screenshot`` for pixels."""
    with tempfile.TemporaryDirectory() as profile:
        common = [browser, *FLAGS, f"--user-data-dir={profile}", "--virtual-time-budget=5000"]
        dom = subprocess.run(
            [*common, "--dump-dom", url], capture_output=True, text=True, timeout=120, check=True
        ).stdout
        subprocess.run(
            [*common, f"--window-size={width},{height}", f"--screenshot={screenshot}", url],
            capture_output=True,
            timeout=120,
            check=True,
        )
    checks = static_checks(dom)
    return {
        "method": "chromium --dump-dom",
        "title": checks["title"],
        "has_report_element": checks["has_report_element"],
        "images": checks["images"],
        "images_decoded": None,
        "tables": dom.count("<table"),
        "text_chars": len(re.sub(r"<[^>]+>", "", dom)),
    }


def check(
    html_path: Path, screenshot: Path, *, width: int = 1280, height: int = 1800, expected_title: str | None = None
) -> dict[str, Any]:
    """Run every check; ``result["ok"]`` is True when all pass."""
    browser = find_browser()
    if browser is None:
        return {"ok": False, "error": "no chromium found (apt-get install chromium chromium-driver)", "exit": 2}
    static = static_checks(html_path.read_text(encoding="utf-8"))
    url = html_path.resolve().as_uri()
    driver = shutil.which("chromedriver")
    live = (
        with_driver(browser, driver, url, width, height, screenshot)
        if driver
        else with_cli(browser, url, width, height, screenshot)
    )
    data = screenshot.read_bytes()
    size = png_size(data)
    content = png_content(screenshot)
    title = expected_title or static["title"]
    failures = []
    if static["scripts"] or static["external_references"] or not static["images_inline"]:
        failures.append("the page is not self-contained")
    if live["title"] != title or not title:
        failures.append(f"title {live['title']!r} is not {title!r}")
    if not live["has_report_element"]:
        failures.append(f"no <main id={REPORT_ID!r}> in the rendered page")
    if live["images"] != static["images"] or (
        live["images_decoded"] is not None and live["images_decoded"] != live["images"]
    ):
        failures.append(f"images: {live['images_decoded']} of {live['images']} decoded, {static['images']} in the file")
    if size != (width, height):
        failures.append(f"screenshot is {size[0]}x{size[1]}, expected {width}x{height}")
    if content["non_white_share"] < 0.02 or content["distinct_shades"] < 16:
        failures.append(f"screenshot looks blank ({content})")
    return {
        "ok": not failures,
        "failures": failures,
        "browser": browser,
        "browser_version": subprocess.run([browser, "--version"], capture_output=True, text=True).stdout.strip(),
        "file": str(html_path),
        "screenshot": str(screenshot),
        "static": static,
        "live": live,
        "screenshot_size": list(size),
        "screenshot_content": content,
        "exit": 0 if not failures else 1,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("html", type=Path, help="the HTML report")
    parser.add_argument("--screenshot", type=Path, default=None, help="PNG to write (default: next to the HTML)")
    parser.add_argument("--width", type=int, default=1280)
    parser.add_argument("--height", type=int, default=1800)
    parser.add_argument("--title", default=None, help="expected page title (default: the file's <title>)")
    args = parser.parse_args()
    screenshot = args.screenshot or args.html.with_name(args.html.stem + "_screenshot.png")
    result = check(args.html, screenshot, width=args.width, height=args.height, expected_title=args.title)
    print(json.dumps(result, indent=1))
    return int(result["exit"])


if __name__ == "__main__":
    sys.exit(main())
