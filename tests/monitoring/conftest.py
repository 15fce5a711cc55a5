"""Fixtures for the probe engine tests: misbehaving targets on loopback, and a way to probe them."""

import time

import pytest

from monitoring.probes import run_probes_sync

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
