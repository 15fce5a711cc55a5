"""Fixtures for the probe engine tests: misbehaving targets on loopback, and a way to probe them."""

import time

import pytest

from vigil_probes import run_probes_sync

from .servers import Servers


@pytest.fixture(scope="session")
def servers():
    started = Servers().start()
    yield started
    started.stop()


def probe(one, **kwargs):
    """The result of ONE probe, run by the engine as a batch of one."""
    return run_probes_sync([one], **kwargs)[0]


class Stopwatch:
    def __enter__(self):
        self.started = time.perf_counter()
        return self

    def __exit__(self, *exc):
        self.seconds = time.perf_counter() - self.started


@pytest.fixture
def recorder():
    """A loopback web server that records the requests it gets (tests/monitoring/recorder.py)."""
    from .recorder import Recorder

    started = Recorder().start()
    yield started
    started.stop()


@pytest.fixture(autouse=True)
def fresh_test_counts(monkeypatch):
    """Each test counts *Test* / *Test now* runs from zero: the counters (vigil.ratelimit, in Django's
    cache) outlive a test."""
    import uuid

    from vigil import ratelimit

    prefix = f"vigil:test-{uuid.uuid4().hex}:"
    monkeypatch.setattr(ratelimit, "prefix", lambda: prefix)
