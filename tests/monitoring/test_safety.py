"""The guard against probes to private, loopback and metadata addresses (vigil.net, VIGIL_PROBE_ALLOWED_NETWORKS).

tests/conftest.py allows loopback for probes (the other probe tests aim at local servers); the
tests here set the allow-list themselves.
"""

import asyncio
import ipaddress
import socket

import pytest

from monitoring import services
from monitoring.models import CheckResult
from vigil.audit import Actor
from vigil_probes import DnsProbe, HttpProbe, State, TcpProbe, TlsProbe, run_probes, run_probes_sync, safety

from .conftest import probe


def rule(*networks: str):
    """vigil.net's policy allowing NETWORKS (imported here, so the module still loads on a checkout without it)."""
    from vigil.net import policy

    return policy(networks)


HINT = "and probes reach only public addresses and the networks in VIGIL_PROBE_ALLOWED_NETWORKS"
LOOPBACK = f"127.0.0.1 is a loopback address, {HINT}"


@pytest.fixture
def public_only(settings):
    settings.VIGIL_PROBE_ALLOWED_NETWORKS = []


@pytest.fixture
def no_probe_packet_leaves(monkeypatch):
    """Refuses, and records, every socket connect or send to an address that is not loopback, for probes
    run with asyncio.run (Python's own loop, whose sockets are Python objects, unlike uvloop's)."""
    attempts = []

    def guard(method):
        def guarded(sock, *args):
            address = args[-1]
            if isinstance(address, tuple):
                attempts.append(address[0])
                if not ipaddress.ip_address(str(address[0]).split("%")[0]).is_loopback:
                    raise ConnectionRefusedError(f"tests: nothing may be sent to {address[0]}")
            return method(sock, *args)

        return guarded

    for name in ("connect", "connect_ex", "sendto"):
        monkeypatch.setattr(socket.socket, name, guard(getattr(socket.socket, name)))
    return attempts


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
    assert bool(rule().refusal(address)) is forbidden


def test_the_default_allows_public_addresses_only(settings):
    settings.VIGIL_PROBE_ALLOWED_NETWORKS = []
    default = safety.default_policy()
    assert default.allowed == () and default.refusal("127.0.0.1") and not default.refusal("8.8.8.8")


def test_loopback_targets_are_probed_when_the_allow_list_covers_them(servers, settings):
    settings.VIGIL_PROBE_ALLOWED_NETWORKS = ["127.0.0.0/8", "::1/128"]
    results = run_probes_sync([HttpProbe(servers.url("/ok")), TcpProbe("localhost", servers.http_port)])
    assert [result.state for result in results] == [State.UP, State.UP]


def test_with_an_empty_allow_list_every_kind_of_probe_to_loopback_is_refused(servers, public_only):
    before = servers.stats.total
    results = run_probes_sync(
        [
            HttpProbe(servers.url("/ok")),
            TcpProbe("127.0.0.1", servers.http_port),
            TlsProbe("127.0.0.1", servers.tls_ports["valid"]),
            DnsProbe("www.example.test", resolver=f"127.0.0.1:{servers.dns_port}"),
        ]
    )
    assert [(result.state, result.reason) for result in results] == [(State.DOWN, LOOPBACK)] * 4
    assert servers.stats.total == before  # refused before connecting


def test_a_host_name_cannot_sneak_to_loopback(servers):
    before = servers.stats.total
    results = run_probes_sync(
        [HttpProbe(f"http://localhost:{servers.http_port}/ok"), TcpProbe("localhost", servers.http_port)],
        policy=rule(),
    )
    for result in results:
        assert result.state == State.DOWN
        assert result.reason.endswith(f" is a loopback address, {HINT}")
    assert servers.stats.total == before  # refused before connecting


def test_a_redirect_cannot_lead_to_a_forbidden_address(servers):
    # Only 127.0.0.1 is allowed, so the first hop passes and the redirect to 127.0.0.2 does not.
    only_first = rule("127.0.0.1/32")
    result = probe(HttpProbe(servers.url("/redirect-to?url=http://127.0.0.2/ok")), policy=only_first)
    assert result.reason == f"127.0.0.2 is a loopback address, {HINT}"
    assert probe(HttpProbe(servers.url("/redirect-to?url=/ok")), policy=only_first).state == State.UP


@pytest.mark.parametrize(
    "target",
    [
        "http://169.254.169.254/latest/meta-data/",
        "http://[::ffff:169.254.169.254]/latest/meta-data/",
        "http://[64:ff9b::a9fe:a9fe]/latest/meta-data/",
        "http://100.100.100.200/latest/meta-data/",
        "http://[fd00:ec2::254]/latest/meta-data/",
    ],
)
def test_metadata_addresses_are_refused_even_when_the_allow_list_covers_them(target, no_probe_packet_leaves):
    everything = rule("0.0.0.0/0", "::/0")
    [result] = asyncio.run(run_probes([HttpProbe(target, timeout=2)], policy=everything))
    assert result.state == State.DOWN
    assert "metadata" in result.reason or "link-local" in result.reason
    assert no_probe_packet_leaves == []  # refused before any connect


def test_tcp_tls_and_dns_probes_refuse_metadata_too(no_probe_packet_leaves):
    everything = rule("0.0.0.0/0", "::/0")
    probes = [
        TcpProbe("169.254.169.254", 80, timeout=2),
        TlsProbe("169.254.169.254", 443, timeout=2),
        DnsProbe("example.com", resolver="169.254.169.253", timeout=2),
    ]
    results = asyncio.run(run_probes(probes, policy=everything))
    assert [result.state for result in results] == [State.DOWN] * 3
    assert all("link-local" in result.reason for result in results), [r.reason for r in results]
    assert no_probe_packet_leaves == []


# --- Test now: the same rule, from the API and from the dashboard ----------------------------------


@pytest.fixture
def secret_page(actor_admin, servers):
    """A monitor on an internal page, with a keyword: the data oracle the rule closes."""
    return services.do_create_monitor(actor_admin, name="Internal", target=servers.url("/ok"), keyword="all systems OK")


@pytest.fixture
def actor_admin(admin_user):
    return Actor(user=admin_user)


def test_test_now_from_the_api_refuses_an_internal_target_and_reveals_nothing(
    api_clients, secret_page, servers, public_only
):
    before = servers.stats.total
    for keyword in ("all systems OK", "not on the page"):
        secret_page.keyword = keyword
        secret_page.save(update_fields=["keyword"])
        body = api_clients["responder"].post(f"/api/v1/monitors/{secret_page.pk}/test-now/").json()
        assert (body["ok"], body["outcome"], body["reason"]) == (False, "down", LOOPBACK)
    assert servers.stats.total == before  # the same answer whether the keyword is there or not: no oracle
    assert not CheckResult.objects.exists()


def test_test_now_from_the_dashboard_refuses_an_internal_target(web_clients, secret_page, servers, public_only):
    before = servers.stats.total
    # The post redirects to the monitor's page, which shows the result (post/redirect/get).
    response = web_clients["responder"].post(f"/monitors/{secret_page.pk}/test/", follow=True)
    assert response.status_code == 200
    result = response.content.decode().split('data-testid="test-result"')[1].split("</section>")[0]
    assert '<span class="badge down">Down</span>' in result
    assert "127.0.0.1 is a loopback address" in result and "VIGIL_PROBE_ALLOWED_NETWORKS" in result
    assert servers.stats.total == before


def test_test_now_works_when_the_allow_list_covers_the_target(api_clients, web_clients, secret_page, settings):
    settings.VIGIL_PROBE_ALLOWED_NETWORKS = ["127.0.0.0/8"]
    body = api_clients["responder"].post(f"/api/v1/monitors/{secret_page.pk}/test-now/").json()
    assert (body["ok"], body["outcome"]) == (True, "up")
    response = web_clients["responder"].post(f"/monitors/{secret_page.pk}/test/", follow=True)
    assert '<span class="badge up">Up</span>' in response.content.decode()
