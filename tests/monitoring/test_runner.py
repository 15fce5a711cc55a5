"""Many probes at once: bounded concurrency, a fresh connection each, hard timeouts, order kept."""

import asyncio

import pytest

from vigil_probes import HttpProbe, State, TcpProbe, run_probes, run_probes_sync
from vigil_probes import runner as runner_module

from .conftest import Stopwatch


def test_200_probes_run_with_bounded_concurrency_and_a_connection_each(servers):
    servers.stats.reset()
    with Stopwatch() as watch:
        results = run_probes_sync([HttpProbe(servers.url("/hold"))] * 200, concurrency=20)
    assert [result.state for result in results] == [State.UP] * 200
    assert servers.stats.total == 200  # no connection reused
    assert 2 <= servers.stats.most_open <= 20  # in parallel, never past the bound
    assert watch.seconds < 15  # 10 rounds of 20 ms each, with room for a loaded machine


def test_a_hung_target_cannot_hold_probes_past_their_timeout(servers):
    probes = [HttpProbe(servers.url("/hang"), timeout=0.5)] * 10 + [HttpProbe(servers.url("/drip"), timeout=0.5)] * 10
    with Stopwatch() as watch:
        results = run_probes_sync(probes, concurrency=20)
    assert watch.seconds < 3  # all twenty wait side by side, and none past its 0.5 s
    assert {result.reason for result in results[:10]} == {
        "timed out after 0.5 s while waiting for the response headers"
    }
    assert {result.reason for result in results[10:]} == {"timed out after 0.5 s while reading the body"}


def test_results_come_back_in_the_order_of_the_probes(servers):
    probes = [HttpProbe(servers.url(f"/status/{code}"), expected_status="100-599") for code in (500, 200, 404, 302)]
    probes.insert(2, TcpProbe("127.0.0.1", servers.http_port))
    results = run_probes_sync(probes, concurrency=3)
    assert [result.status_code for result in results] == [500, 200, None, 404, 302]


def test_a_probe_that_breaks_unexpectedly_does_not_end_the_batch(servers, monkeypatch):
    async def broken(probe, context, progress):
        raise RuntimeError("a bug")

    monkeypatch.setitem(runner_module.CHECKS, TcpProbe, broken)
    results = run_probes_sync([TcpProbe("127.0.0.1", 9), HttpProbe(servers.url("/ok"))])
    assert [(result.state, result.reason) for result in results] == [
        (State.DOWN, "probe error: RuntimeError"),
        (State.UP, ""),
    ]


def test_it_runs_on_the_stock_asyncio_loop_too(servers):
    probes = [HttpProbe(servers.url("/ok")), HttpProbe(servers.url("/garbage")), HttpProbe(servers.url("/loop/a"))]
    results = asyncio.run(run_probes(probes, concurrency=2))
    assert [result.reason for result in results] == [
        "",
        "invalid HTTP response: bad status line",
        "redirect loop (2 redirects)",
    ]


def test_an_empty_batch_and_bad_arguments():
    assert run_probes_sync([]) == []
    with pytest.raises(ValueError, match="concurrency"):
        run_probes_sync([TcpProbe("127.0.0.1", 9)], concurrency=0)
    with pytest.raises(TypeError, match="not a probe"):
        run_probes_sync(["http://example.com/"])
