"""Tests under tests/browser drive the real app in Chromium (the harness: tests/browser_harness.py)."""

from pathlib import Path

import pytest

from tests.browser_harness import DESKTOP, PHONE, TIMEOUT_MS, login  # noqa: F401  (for the tests)


def pytest_collection_modifyitems(config, items):
    here = Path(__file__).resolve().parent
    for item in items:
        if here in Path(str(item.fspath)).resolve().parents:
            item.add_marker(pytest.mark.browser)
