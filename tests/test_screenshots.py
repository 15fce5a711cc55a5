"""scripts/screenshots.py (bin/screenshots) makes the README's two pictures from a throwaway Vigil: run as
the README says, with --out, it writes a 1280x800 PNG of the dashboard and one of the status page.
About 20 s on the test machine: a fresh SQLite database's migrations are most of it."""

import struct
import subprocess
import sys
from pathlib import Path

import pytest

from tests.browser_harness import _chromium_available
from tests.conftest import need

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[1]
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def png_size(path: Path) -> tuple[int, int]:
    """Width and height from the PNG's header: its first chunk is IHDR, which starts with them."""
    head = path.read_bytes()[:24]
    assert head[:8] == PNG_SIGNATURE and head[12:16] == b"IHDR", f"{path.name} is not a PNG"
    return struct.unpack(">II", head[16:24])


def test_the_script_writes_the_dashboard_and_the_status_page_at_1280_by_800(tmp_path):
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError as exc:
        need("Playwright", False, f"the playwright package is not importable ({exc})")
    need("Chromium", *_chromium_available())
    done = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "screenshots.py"), "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dashboard.png", "status-page.png"]
    for name in ("dashboard.png", "status-page.png"):
        assert png_size(tmp_path / name) == (1280, 800)
        assert (tmp_path / name).stat().st_size > 10_000  # a page, not a blank canvas
