"""TLS certificate probes: trust, host name, and the days left against warn and fail thresholds."""

from datetime import UTC, datetime

import pytest

from vigil_probes import HttpProbe, State, TlsProbe

from .conftest import probe
from .servers import closed_port


def tls(servers, certificate: str, **options) -> TlsProbe:
    options.setdefault("ca_pem", servers.certificates.ca_pem)
    return TlsProbe("127.0.0.1", servers.tls_ports[certificate], **options)


def test_a_valid_certificate_is_up_with_its_expiry(servers):
    result = probe(tls(servers, "valid"))
    assert (result.ok, result.state, result.reason) == (True, State.UP, "")
    assert result.details["days_left"] > 365
    assert datetime.fromisoformat(result.details["expires_at"]) > datetime.now(UTC)
    assert result.details["tls_version"].startswith("TLSv1.")
    assert result.details["address"] == "127.0.0.1"


def test_a_host_name_is_resolved_and_checked(servers):
    result = probe(TlsProbe("localhost", servers.tls_ports["valid"], ca_pem=servers.certificates.ca_pem))
    assert result.state == State.UP, result.reason


def test_an_expired_certificate_says_how_long_ago(servers):
    result = probe(tls(servers, "expired"))
    assert (result.ok, result.state) == (False, State.DOWN)
    assert result.reason == "TLS certificate expired 3 days ago"
    assert result.details["days_left"] == -3


def test_a_certificate_under_the_fail_threshold_is_down(servers):
    result = probe(tls(servers, "expiring", warn_days=21, fail_days=7))
    assert (result.state, result.reason) == (State.DOWN, "TLS certificate expires in 5 days (fail under 7)")


def test_a_certificate_under_the_warn_threshold_is_degraded(servers):
    result = probe(tls(servers, "expiring", warn_days=21, fail_days=3))
    assert (result.ok, result.state) == (True, State.DEGRADED)
    assert result.reason == "TLS certificate expires in 5 days (warn under 21)"
    assert result.details["days_left"] == 5


def test_a_certificate_above_both_thresholds_is_up(servers):
    assert probe(tls(servers, "expiring", warn_days=5, fail_days=2)).state == State.UP


def test_a_certificate_for_another_host_fails_the_host_name_check(servers):
    result = probe(tls(servers, "wrong_host"))
    assert (result.state, result.reason) == (State.DOWN, "TLS certificate not valid for '127.0.0.1'")
    assert probe(tls(servers, "wrong_host", check_hostname=False)).state == State.UP


def test_an_untrusted_certificate_fails(servers):
    result = probe(tls(servers, "untrusted"))
    assert result.reason == "TLS certificate not trusted: unable to get local issuer certificate"


def test_the_system_store_does_not_trust_a_private_ca(servers):
    result = probe(TlsProbe("127.0.0.1", servers.tls_ports["valid"]))
    assert result.reason.startswith("TLS certificate not trusted: ")


def test_without_chain_verification_only_the_dates_count(servers):
    result = probe(tls(servers, "untrusted", ca_pem="", verify_chain=False, check_hostname=False))
    assert result.state == State.UP, result.reason
    result = probe(tls(servers, "expired", ca_pem="", verify_chain=False, check_hostname=False))
    assert result.reason == "TLS certificate expired 3 days ago"


def test_a_port_that_answers_garbage_fails_the_handshake(servers):
    result = probe(TlsProbe("127.0.0.1", servers.babble_port))
    assert result.reason == "TLS handshake failed: wrong version number"


def test_a_silent_port_times_out_in_the_handshake(servers):
    result = probe(TlsProbe("127.0.0.1", servers.silent_port, timeout=0.3))
    assert result.reason == "timed out after 0.3 s while doing the TLS handshake"
    assert result.latency_ms < 2000


def test_a_closed_port_is_refused():
    assert probe(TlsProbe("127.0.0.1", closed_port())).reason == "connection refused"


@pytest.mark.parametrize("certificate", ["valid", "expired"])
def test_https_probes_and_tls_probes_agree(servers, certificate):
    http = probe(
        HttpProbe(f"https://127.0.0.1:{servers.tls_ports[certificate]}/ok", ca_pem=servers.certificates.ca_pem)
    )
    assert http.ok == probe(tls(servers, certificate)).ok
