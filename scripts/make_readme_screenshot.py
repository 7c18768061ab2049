"""Refresh ``docs/demo-map.png``, the README's picture of the commander's map of the demo week.

Plans the built-in demo town's week as ``planner demo`` does (the demo's own ``force.toml``,
through :func:`planner.demo.demo_config`), but with an iteration stop and the config's seed
passed explicitly, so the picture is the same on any machine. The map is written in secure
(offline) mode to a temporary folder and opened from ``file://`` in headless Chromium driven by
selenium and ``chromedriver`` (as ``tests/outputs/test_browser.py`` does), in a 1200 x 800
viewport; once Leaflet has drawn, the screenshot replaces the PNG atomically.

This is the one way the README's picture is made; ``tests/outputs/test_browser.py`` checks
that :func:`screenshot_map` works.

Needs Debian's ``chromium`` and ``chromium-driver`` and the ``selenium`` package
(``pip install -e '.[test]'``).

Usage: ``python scripts/make_readme_screenshot.py [--out docs/demo-map.png] [--iterations 300]``
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from planner.common import atomic_write_bytes  # noqa: E402

#: The README's picture.
DEFAULT_OUT = REPO / "docs" / "demo-map.png"
#: Search iterations: as ``planner demo --iterations 300``, the plan the README describes.
DEFAULT_ITERATIONS = 300
#: The screenshot's viewport, CSS pixels.
WIDTH_PX, HEIGHT_PX = 1200, 800
#: Longest wait for the page and Leaflet to draw, s (a loaded machine is slow, never this slow).
LOAD_TIMEOUT_S = 60.0
CHROMIUM = Path(shutil.which("chromium") or "/usr/bin/chromium")
CHROMEDRIVER = Path(shutil.which("chromedriver") or "/usr/bin/chromedriver")
_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    f"--window-size={WIDTH_PX},{HEIGHT_PX}",
)
# True once the map's own script has run and Leaflet has laid its panes out.
_DRAWN_JS = (
    "return !!(window.plannerMap && window.plannerMap.map"
    " && document.querySelector('.leaflet-overlay-pane svg, .leaflet-overlay-pane canvas'));"
)
# Two animation frames after that: the last view has been painted.
_TWO_FRAMES_JS = (
    "var done = arguments[0]; requestAnimationFrame(function () { requestAnimationFrame(done); });"
)


def screenshot_map(html: Path, out: Path, *, timeout_s: float = LOAD_TIMEOUT_S) -> Path:
    """Open a map page from ``file://`` in headless Chromium and write a PNG of it to ``out``.

    The viewport is :data:`WIDTH_PX` x :data:`HEIGHT_PX`; the PNG is written atomically (a
    failure leaves the old one). Requests leaving ``file://`` are blocked, so write the map
    in secure mode.

    Raises
    ------
    selenium.common.exceptions.TimeoutException
        If the map has not drawn within ``timeout_s``.
    """
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.support.ui import WebDriverWait

    profile = tempfile.mkdtemp(prefix="chromium-profile-")
    opts = webdriver.ChromeOptions()
    opts.binary_location = str(CHROMIUM)
    for flag in (*_FLAGS, f"--user-data-dir={profile}"):
        opts.add_argument(flag)
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=opts)
    try:
        # The viewport itself, whatever size the headless window's frame takes.
        driver.execute_cdp_cmd(
            "Emulation.setDeviceMetricsOverride",
            {"width": WIDTH_PX, "height": HEIGHT_PX, "deviceScaleFactor": 1, "mobile": False},
        )
        driver.execute_cdp_cmd("Network.enable", {})
        driver.execute_cdp_cmd(
            "Network.setBlockedURLs", {"urls": ["http://*", "https://*", "ws://*", "wss://*"]}
        )
        driver.set_script_timeout(timeout_s)
        driver.get(html.resolve().as_uri())
        WebDriverWait(driver, timeout=timeout_s, poll_frequency=0.2).until(
            lambda d: d.execute_script(_DRAWN_JS)
        )
        driver.execute_async_script(_TWO_FRAMES_JS)
        png = driver.get_screenshot_as_png()
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)
    atomic_write_bytes(out, png)
    # A file for the repository, readable as the umask allows (the atomic writer makes 0600).
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(out, 0o666 & ~umask)
    return out


def make_readme_screenshot(
    out: Path = DEFAULT_OUT, *, iterations: int = DEFAULT_ITERATIONS, cache_dir: Path | None = None
) -> Path:
    """Plan the demo week, write its secure map to a temporary folder, screenshot it to ``out``."""
    from planner.config import load_config
    from planner.demo import demo_config
    from planner.outputs.map import write_map
    from planner.planning.week import make_plan
    from planner.routing.solver import MaxIterations

    with tempfile.TemporaryDirectory(prefix="planner-readme-") as tmp:
        with demo_config() as config_path:
            config = load_config(config_path)
            result = make_plan(
                config,
                cache_dir=cache_dir or Path(tmp) / "cache",
                stop=MaxIterations(iterations),
                seed=config.solver.seed,
            )
        html = write_map(result, Path(tmp) / "map.html", secure=True)
        return screenshot_map(html, out)


def main(argv: list[str] | None = None) -> int:
    """Command line: ``--out``, ``--iterations``, ``--cache-dir``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="PNG to write")
    parser.add_argument(
        "--iterations", type=int, default=DEFAULT_ITERATIONS, help="solver iterations"
    )
    parser.add_argument(
        "--cache-dir", type=Path, help="network cache [default: a temporary folder]"
    )
    args = parser.parse_args(argv)
    path = make_readme_screenshot(args.out, iterations=args.iterations, cache_dir=args.cache_dir)
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
