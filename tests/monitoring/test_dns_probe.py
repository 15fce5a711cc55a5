"""DNS probes through a resolver given by address: a stub on a loopback UDP port."""

import pytest

from vigil_probes import DnsProbe, State, run_probes_sync

from .conftest import probe
from .servers import closed_port


def dns_probe(servers, name: str, record_type: str = "A", **options) -> DnsProbe:
    return DnsProbe(name, record_type, resolver=f"127.0.0.1:{servers.dns_port}", **options)


@pytest.mark.parametrize(
    ("name", "record_type", "answers"),
    [
        ("www.example.test", "A", ["192.0.2.10", "192.0.2.11"]),
        ("www.example.test", "AAAA", ["2001:db8::10"]),
        ("alias.example.test", "CNAME", ["www.example.test"]),
        ("example.test", "MX", ["10 mail.example.test"]),
        ("example.test", "TXT", ["v=spf1 -all"]),
    ],
)
def test_each_record_type_is_answered(servers, name, record_type, answers):
    result = probe(dns_probe(servers, name, record_type))
    assert (result.ok, result.state, result.reason) == (True, State.UP, "")
    assert sorted(result.details["answers"]) == answers
    assert result.details["resolver"] == f"127.0.0.1:{servers.dns_port}"


@pytest.mark.parametrize(
    ("name", "record_type", "expected"),
    [
        ("www.example.test", "A", "192.0.2.11"),
        ("www.example.test", "AAAA", "2001:db8:0:0::10"),
        ("alias.example.test", "CNAME", "WWW.example.test."),
        ("example.test", "MX", "mail.example.test"),
        ("example.test", "MX", "10 mail.example.test."),
        ("example.test", "TXT", "v=spf1 -all"),
    ],
)
def test_an_expected_value_among_the_answers_is_up(servers, name, record_type, expected):
    result = probe(dns_probe(servers, name, record_type, expected=expected))
    assert result.state == State.UP, result.reason


def test_an_expected_value_missing_from_the_answers_is_down(servers):
    result = probe(dns_probe(servers, "www.example.test", expected="192.0.2.99"))
    assert (result.ok, result.state) == (False, State.DOWN)
    assert result.reason.startswith("expected '192.0.2.99' not in the answer: ")
    assert "192.0.2.10" in result.reason and "192.0.2.11" in result.reason


def test_a_name_that_does_not_exist(servers):
    result = probe(dns_probe(servers, "nope.example.test"))
    assert result.reason == "nope.example.test does not exist (NXDOMAIN)"


def test_a_name_without_that_record_type(servers):
    result = probe(dns_probe(servers, "www.example.test", "MX"))
    assert result.reason == "no MX record for www.example.test"


def test_a_failing_resolver(servers):
    assert probe(dns_probe(servers, "servfail.example.test")).reason == "the resolver answered SERVFAIL"


def test_a_resolver_that_never_answers_times_out(servers):
    results = run_probes_sync(
        [
            dns_probe(servers, "slow.example.test", timeout=0.5),
            DnsProbe("www.example.test", resolver=f"127.0.0.1:{closed_port()}", timeout=0.5),
        ]
    )
    for result in results:
        assert result.reason == "timed out after 0.5 s while waiting for the DNS answer"
        assert 400 <= result.latency_ms < 2500
