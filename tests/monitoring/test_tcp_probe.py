"""TCP connect probes."""

import time

from vigil_probes import State, TcpProbe, run_probes_sync

from .conftest import probe
from .servers import closed_port


def test_an_open_port_is_up(servers):
    result = probe(TcpProbe("127.0.0.1", servers.silent_port))
    assert (result.ok, result.state, result.reason) == (True, State.UP, "")
    assert result.details == {"address": "127.0.0.1"}
    assert 0 < result.latency_ms < 2000


def test_a_host_name_is_resolved(servers):
    result = probe(TcpProbe("localhost", servers.http_port))
    assert result.state == State.UP, result.reason
    assert result.details["address"] in ("127.0.0.1", "::1")


def test_a_closed_port_is_connection_refused():
    result = probe(TcpProbe("127.0.0.1", closed_port()))
    assert (result.ok, result.state, result.reason) == (False, State.DOWN, "connection refused")


def test_an_unknown_host_cannot_be_resolved():
    result = probe(TcpProbe("no-such-host.invalid", 80, timeout=5))
    assert result.reason == "could not resolve host 'no-such-host.invalid'"


def test_each_probe_opens_its_own_connection(servers):
    before = servers.stats.total
    results = run_probes_sync([TcpProbe("127.0.0.1", servers.http_port)] * 5)
    assert all(result.ok for result in results)
    # The HTTP server counts connections as it accepts them; give it a moment to see the last.
    deadline = time.monotonic() + 2
    while servers.stats.total - before < 5 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert servers.stats.total - before == 5
