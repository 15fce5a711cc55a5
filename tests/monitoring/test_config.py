"""Probe configs check themselves when made; a bad value names its field."""

import dataclasses

import pytest

from vigil_probes import DnsProbe, HttpProbe, ProbeConfigError, TcpProbe, TlsProbe
from vigil_probes.config import parse_status_ranges

PEM = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"url": "ftp://example.com/"}, "url"),
        ({"url": "example.com"}, "url"),
        ({"url": "http:///path"}, "url"),
        ({"url": "http://exa mple.com/"}, "url"),
        ({"url": "http://example.com:99999/"}, "url"),
        ({"method": "FETCH"}, "method"),
        ({"headers": {"Bad Name": "x"}}, "headers"),
        ({"headers": {"X-Ok": "a\r\nInjected: yes"}}, "headers"),
        ({"headers": "not pairs"}, "headers"),
        ({"expected_status": "200-"}, "expected_status"),
        ({"expected_status": "299-200"}, "expected_status"),
        ({"expected_status": "700"}, "expected_status"),
        ({"keyword_absent": True}, "keyword_absent"),
        ({"method": "HEAD", "keyword": "OK"}, "keyword"),
        ({"degraded_after_ms": 0}, "degraded_after_ms"),
        ({"max_redirects": -1}, "max_redirects"),
        ({"timeout": 0}, "timeout"),
        ({"timeout": 61}, "timeout"),
        ({"timeout": True}, "timeout"),
        ({"ca_pem": "not a certificate"}, "ca_pem"),
        ({"max_body_bytes": 0}, "max_body_bytes"),
    ],
)
def test_a_bad_http_probe_names_the_field(kwargs, field):
    with pytest.raises(ProbeConfigError) as error:
        HttpProbe(**{"url": "https://example.com/", **kwargs})
    assert error.value.field == field
    assert str(error.value).startswith(f"{field}: ")
    assert isinstance(error.value, ValueError)


def test_a_good_http_probe_keeps_its_values():
    probe = HttpProbe(
        "https://example.com:8443/health?full=1",
        method="POST",
        headers={"Authorization": "Bearer x"},
        body="{}",
        expected_status="2xx, 301-302,418",
        keyword="OK",
        degraded_after_ms=800,
        ca_pem=PEM,
    )
    assert probe.headers == (("Authorization", "Bearer x"),)
    assert probe.status_ranges == ((200, 299), (301, 302), (418, 418))
    assert HttpProbe("http://[::1]:8080/").url == "http://[::1]:8080/"
    assert HttpProbe("http://b\u00fccher.example/").method == "GET"


def test_probes_are_frozen_and_comparable():
    probe = HttpProbe("https://example.com/", headers=[("A", "1")])
    with pytest.raises(dataclasses.FrozenInstanceError):
        probe.url = "https://other.example/"
    assert probe == HttpProbe("https://example.com/", headers={"A": "1"})
    assert hash(probe) == hash(HttpProbe("https://example.com/", headers={"A": "1"}))


def test_status_ranges_parse():
    assert parse_status_ranges("200") == ((200, 200),)
    assert parse_status_ranges(" 3xx , 404 ") == ((300, 399), (404, 404))
    with pytest.raises(ValueError):
        parse_status_ranges("2xx,")


@pytest.mark.parametrize(
    ("kind", "kwargs", "field"),
    [
        (TcpProbe, {"host": "", "port": 80}, "host"),
        (TcpProbe, {"host": "-bad-.example", "port": 80}, "host"),
        (TcpProbe, {"host": "db.internal", "port": 0}, "port"),
        (TcpProbe, {"host": "db.internal", "port": 70000}, "port"),
        (TcpProbe, {"host": "db.internal", "port": "5432"}, "port"),
        (TcpProbe, {"host": "db.internal", "port": 5432, "timeout": -1}, "timeout"),
        (TlsProbe, {"host": "example.com", "fail_days": -1}, "fail_days"),
        (TlsProbe, {"host": "example.com", "warn_days": 3, "fail_days": 7}, "warn_days"),
        (TlsProbe, {"host": "example.com", "verify_chain": False}, "check_hostname"),
        (TlsProbe, {"host": "example.com", "ca_pem": "x"}, "ca_pem"),
        (DnsProbe, {"name": "192.0.2.1"}, "name"),
        (DnsProbe, {"name": "bad..example"}, "name"),
        (DnsProbe, {"name": "example.com", "record_type": "SRV"}, "record_type"),
        (DnsProbe, {"name": "example.com", "resolver": "dns.google"}, "resolver"),
        (DnsProbe, {"name": "example.com", "resolver": "127.0.0.1:0"}, "resolver"),
        (DnsProbe, {"name": "example.com", "resolver": "[::1]x"}, "resolver"),
    ],
)
def test_a_bad_probe_of_another_kind_names_the_field(kind, kwargs, field):
    with pytest.raises(ProbeConfigError) as error:
        kind(**kwargs)
    assert error.value.field == field


@pytest.mark.parametrize(
    ("resolver", "address"),
    [
        ("9.9.9.9", ("9.9.9.9", 53)),
        ("10.0.0.2:5353", ("10.0.0.2", 5353)),
        ("[::1]:5300", ("::1", 5300)),
        ("::1", ("::1", 53)),
    ],
)
def test_a_dns_resolver_is_an_address_with_an_optional_port(resolver, address):
    assert DnsProbe("_dmarc.example.com", "TXT", resolver=resolver).resolver_address == address
