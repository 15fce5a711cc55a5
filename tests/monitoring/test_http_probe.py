"""HTTP(S) probes against targets that answer well, wrongly, slowly, endlessly or not at all."""

import json

import pytest

from vigil_probes import HttpProbe, State, run_probes_sync

from .conftest import probe
from .servers import closed_port


def test_it_is_up_on_a_2xx_and_records_status_and_latency(servers):
    result = probe(HttpProbe(servers.url("/ok")))
    assert (result.ok, result.state, result.reason, result.status_code) == (True, State.UP, "", 200)
    assert 0 < result.latency_ms < 5000
    assert result.details["body_bytes"] == len(b"<html>all systems OK</html>")
    assert result.details["ttfb_ms"] <= result.latency_ms


def test_a_head_request_reads_no_body(servers):
    result = probe(HttpProbe(servers.url("/ok"), method="HEAD"))
    assert (result.state, result.status_code, result.details["body_bytes"]) == (State.UP, 200, 0)


def test_it_is_down_on_an_unexpected_status(servers):
    result = probe(HttpProbe(servers.url("/status/503")))
    assert (result.ok, result.state, result.status_code) == (False, State.DOWN, 503)
    assert result.reason == "HTTP 503 (expected 200-299)"


def test_an_expected_error_status_is_up(servers):
    result = probe(HttpProbe(servers.url("/status/404"), expected_status="404, 410"))
    assert (result.state, result.status_code) == (State.UP, 404)


def test_a_keyword_that_must_appear(servers):
    assert probe(HttpProbe(servers.url("/ok"), keyword="systems OK")).state == State.UP
    result = probe(HttpProbe(servers.url("/ok"), keyword="maintenance"))
    assert result.state == State.DOWN
    assert result.reason == "keyword 'maintenance' not found"


def test_a_keyword_that_must_not_appear(servers):
    assert probe(HttpProbe(servers.url("/ok"), keyword="Error", keyword_absent=True)).state == State.UP
    result = probe(HttpProbe(servers.url("/ok"), keyword="OK", keyword_absent=True))
    assert result.reason == "keyword 'OK' found (must be absent)"


def test_keywords_are_found_in_compressed_and_latin1_bodies(servers):
    assert probe(HttpProbe(servers.url("/gzip"), keyword="all systems OK")).state == State.UP
    assert probe(HttpProbe(servers.url("/latin1"), keyword="Caf\u00e9")).state == State.UP


def test_it_is_degraded_above_the_latency_threshold(servers):
    result = probe(HttpProbe(servers.url("/slow/150"), degraded_after_ms=50))
    assert (result.ok, result.state, result.status_code) == (True, State.DEGRADED, 200)
    assert result.reason.startswith("slow response: ")
    assert result.reason.endswith(" ms (degraded above 50 ms)")
    assert result.latency_ms >= 150
    assert probe(HttpProbe(servers.url("/ok"), degraded_after_ms=5000)).state == State.UP


def test_it_sends_the_method_headers_and_body(servers):
    url = servers.url("/echo")
    sent = {"method": "PUT", "headers": {"X-Token": "s3cret"}, "body": "hello"}
    expected = ['"method": "PUT"', '"x-token": "s3cret"', '"body": "hello"', '"user-agent": "Vigil-Probe/1.0"']
    results = run_probes_sync([HttpProbe(url, **sent, keyword=keyword) for keyword in expected])
    assert [result.reason for result in results] == [""] * len(expected)
    assert probe(HttpProbe(url, **sent, keyword='"method": "GET"')).reason == 'keyword \'"method": "GET"\' not found'


def test_it_follows_redirects_and_says_where_it_ended(servers):
    result = probe(HttpProbe(servers.url("/chain/3"), keyword="all systems OK"))
    assert result.state == State.UP
    assert result.details["redirects"] == 4
    assert result.details["url"] == servers.url("/ok")


def test_with_redirects_off_a_redirect_is_a_status_like_any_other(servers):
    result = probe(HttpProbe(servers.url("/chain/3"), follow_redirects=False))
    assert result.reason == "HTTP 302 (expected 200-299)"
    assert probe(HttpProbe(servers.url("/chain/3"), follow_redirects=False, expected_status="3xx")).ok


def test_a_redirect_loop_fails_with_a_reason(servers):
    result = probe(HttpProbe(servers.url("/loop/a")))
    assert (result.state, result.status_code) == (State.DOWN, 302)
    assert result.reason == "redirect loop (2 redirects)"


def test_too_many_redirects_fail(servers):
    result = probe(HttpProbe(servers.url("/chain/20"), max_redirects=5))
    assert result.reason == "too many redirects (more than 5)"


def test_a_303_turns_a_post_into_a_get(servers):
    result = probe(HttpProbe(servers.url("/see-other"), method="POST", body="x", keyword='"method": "GET"'))
    assert result.state == State.UP


def test_credentials_do_not_follow_a_redirect_to_another_origin(servers):
    other_origin = f"http://localhost:{servers.http_port}/echo"
    config = HttpProbe(
        servers.url(f"/redirect-to?url={other_origin}"),
        headers={"Authorization": "Bearer s3cret", "X-Trace": "kept"},
        keyword="s3cret",
        keyword_absent=True,
    )
    result = probe(config)
    assert result.state == State.UP, result.reason
    kept = HttpProbe(config.url, headers={"X-Trace": "kept"}, keyword='"x-trace": "kept"')
    assert probe(kept).state == State.UP


def test_a_redirect_to_another_scheme_fails(servers):
    result = probe(HttpProbe(servers.url("/redirect-to?url=ftp://example.com/file")))
    assert result.reason == "redirect to an unsupported URL 'ftp://example.com/file'"


def test_an_endless_body_is_cut_at_the_cap(servers):
    result = probe(HttpProbe(servers.url("/endless"), timeout=5))
    assert (result.state, result.status_code) == (State.DOWN, 200)
    assert result.reason == "body larger than 1 MiB"
    assert result.latency_ms < 4000


def test_a_body_announced_too_large_fails_without_reading_it(servers):
    result = probe(HttpProbe(servers.url("/big"), max_body_bytes=1 << 20))
    assert result.reason == "body larger than 1 MiB"
    assert probe(HttpProbe(servers.url("/ok"), max_body_bytes=10)).reason == "body larger than 10 bytes"


def test_a_slow_drip_times_out_while_reading_the_body(servers):
    result = probe(HttpProbe(servers.url("/drip"), timeout=0.5))
    assert (result.state, result.status_code) == (State.DOWN, None)
    assert result.reason == "timed out after 0.5 s while reading the body"
    assert 450 <= result.latency_ms < 2500


def test_a_silent_server_times_out_waiting_for_the_headers(servers):
    result = probe(HttpProbe(servers.url("/hang"), timeout=0.5))
    assert result.reason == "timed out after 0.5 s while waiting for the response headers"


def test_garbage_bytes_are_an_invalid_response(servers):
    result = probe(HttpProbe(servers.url("/garbage")))
    assert (result.state, result.reason) == (State.DOWN, "invalid HTTP response: bad status line")


def test_a_reset_connection_fails(servers):
    result = probe(HttpProbe(servers.url("/reset")))
    assert result.state == State.DOWN
    assert result.reason in (
        "connection reset by peer while waiting for the response headers",
        "server closed the connection while waiting for the response headers",
    )


def test_a_connection_closed_without_an_answer_fails(servers):
    result = probe(HttpProbe(servers.url("/close")))
    assert result.reason == "server closed the connection while waiting for the response headers"


def test_a_closed_port_is_connection_refused():
    result = probe(HttpProbe(f"http://127.0.0.1:{closed_port()}/"))
    assert (result.ok, result.reason) == (False, "connection refused")


def test_an_unknown_host_cannot_be_resolved():
    result = probe(HttpProbe("http://no-such-host.invalid/", timeout=5))
    assert result.reason == "could not resolve host 'no-such-host.invalid'"


def test_https_with_a_trusted_certificate_is_up(servers):
    ca = servers.certificates.ca_pem
    result = probe(HttpProbe(servers.url("/ok", tls="valid"), ca_pem=ca, keyword="all systems OK"))
    assert (result.state, result.status_code) == (State.UP, 200)


@pytest.mark.parametrize(
    ("certificate", "reason"),
    [
        ("expired", "TLS certificate expired"),
        ("wrong_host", "TLS certificate not valid for '127.0.0.1'"),
        ("untrusted", "TLS certificate not trusted: unable to get local issuer certificate"),
    ],
)
def test_https_with_a_bad_certificate_fails(servers, certificate, reason):
    result = probe(HttpProbe(servers.url("/ok", tls=certificate), ca_pem=servers.certificates.ca_pem))
    assert (result.state, result.reason) == (State.DOWN, reason)


def test_https_without_verification_accepts_a_bad_certificate(servers):
    result = probe(HttpProbe(servers.url("/ok", tls="untrusted"), verify_tls=False))
    assert (result.state, result.status_code) == (State.UP, 200)


def test_plain_http_to_a_tls_port_fails_cleanly(servers):
    result = probe(HttpProbe(f"http://127.0.0.1:{servers.tls_ports['valid']}/ok"))
    assert result.reason == "server closed the connection while waiting for the response headers"


def test_https_to_a_port_that_speaks_no_tls_fails(servers):
    result = probe(HttpProbe(f"https://127.0.0.1:{servers.babble_port}/"))
    assert result.reason == "TLS handshake failed: wrong version number"


def test_a_tls_handshake_that_never_ends_times_out(servers):
    result = probe(HttpProbe(f"https://127.0.0.1:{servers.silent_port}/", timeout=0.3))
    assert result.reason == "timed out after 0.3 s while connecting and doing the TLS handshake"


def test_the_result_serializes_for_a_task(servers):
    result = probe(HttpProbe(servers.url("/status/500")))
    data = json.loads(json.dumps(result.as_dict()))
    assert data["state"] == "down" and data["status_code"] == 500 and data["reason"].startswith("HTTP 500")
    assert data["checked_at"].endswith("+00:00")
