"""The guard against probes to private and loopback addresses (VIGIL_PROBE_FORBID_PRIVATE)."""

import pytest

from monitoring.probes import DnsProbe, HttpProbe, State, TcpProbe, TlsProbe, run_probes_sync, safety

from .conftest import probe

LOOPBACK = "127.0.0.1 is a loopback address, and probes to private and loopback addresses are forbidden"


@pytest.mark.parametrize(
    ("address", "forbidden"),
    [
        ("127.0.0.1", True),
        ("10.1.2.3", True),
        ("172.16.0.1", True),
        ("192.168.1.1", True),
        ("169.254.169.254", True),  # cloud metadata
        ("100.64.0.1", True),  # carrier-grade NAT
        ("0.0.0.0", True),  # noqa: S104 (an address to refuse, not to bind)
        ("224.0.0.1", True),
        ("::1", True),
        ("fe80::1%eth0", True),
        ("fd00::1", True),
        ("::ffff:127.0.0.1", True),  # IPv4-mapped loopback
        ("8.8.8.8", False),
        ("93.184.216.34", False),
        ("2606:4700:4700::1111", False),
    ],
)
def test_which_addresses_are_forbidden(address, forbidden):
    assert safety.is_forbidden(address) is forbidden


def test_the_setting_is_off_when_missing(settings):
    if hasattr(settings, safety.SETTING):
        del settings.VIGIL_PROBE_FORBID_PRIVATE
    assert safety.forbid_private_setting() is False


def test_loopback_targets_are_probed_by_default(servers, settings):
    if hasattr(settings, safety.SETTING):
        del settings.VIGIL_PROBE_FORBID_PRIVATE
    results = run_probes_sync([HttpProbe(servers.url("/ok")), TcpProbe("localhost", servers.http_port)])
    assert [result.state for result in results] == [State.UP, State.UP]


def test_the_setting_forbids_every_kind_of_probe_to_loopback(servers, settings):
    settings.VIGIL_PROBE_FORBID_PRIVATE = True
    results = run_probes_sync(
        [
            HttpProbe(servers.url("/ok")),
            TcpProbe("127.0.0.1", servers.http_port),
            TlsProbe("127.0.0.1", servers.tls_ports["valid"]),
            DnsProbe("www.example.test", resolver=f"127.0.0.1:{servers.dns_port}"),
        ]
    )
    assert [(result.state, result.reason) for result in results] == [(State.DOWN, LOOPBACK)] * 4


def test_a_host_name_cannot_sneak_to_loopback(servers):
    before = servers.stats.total
    results = run_probes_sync(
        [HttpProbe(f"http://localhost:{servers.http_port}/ok"), TcpProbe("localhost", servers.http_port)],
        forbid_private=True,
    )
    for result in results:
        assert result.state == State.DOWN
        assert result.reason.endswith(
            " is a loopback address, and probes to private and loopback addresses are forbidden"
        )
    assert servers.stats.total == before  # refused before connecting


def test_a_redirect_cannot_lead_to_a_forbidden_address(servers, monkeypatch):
    # Here only 127.0.0.2 counts as forbidden, so the first hop (127.0.0.1) passes and the redirect does not.
    monkeypatch.setattr(safety, "is_forbidden", lambda address: address == "127.0.0.2")
    result = probe(HttpProbe(servers.url("/redirect-to?url=http://127.0.0.2/ok")), forbid_private=True)
    assert (
        result.reason == "127.0.0.2 is a loopback address, and probes to private and loopback addresses are forbidden"
    )
    assert probe(HttpProbe(servers.url("/redirect-to?url=/ok")), forbid_private=True).state == State.UP
