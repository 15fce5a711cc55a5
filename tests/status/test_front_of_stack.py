"""Snapshot documents are answered by StatusSnapshotMiddleware, before sessions, CSRF, auth and the URL conf."""

from django.contrib.sessions.middleware import SessionMiddleware

from comms.status import snapshot as snapshots


def test_a_document_is_answered_before_the_session_middleware_runs(outage, public_client, monkeypatch):
    snapshots.rebuild()
    calls = []
    original = SessionMiddleware.process_request

    def recording(self, request):
        calls.append(request.path)
        return original(self, request)

    monkeypatch.setattr(SessionMiddleware, "process_request", recording)
    page = public_client.get("/status/")
    summary = public_client.get("/api/v2/summary.json")
    manage = public_client.get("/status/manage/")
    assert page.status_code == 200 and summary.status_code == 200
    # Only the dashboard page went down the whole stack.
    assert calls == ["/status/manage/"]
    assert manage.status_code == 302 and "/login" in manage["Location"]


def test_documents_keep_the_security_headers_of_the_rest_of_the_site(outage, public_client):
    snapshots.rebuild()
    response = public_client.get("/status/")
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Access-Control-Allow-Origin"] == "*"
    assert "Cookie" not in response.get("Vary", "")
    assert not response.cookies


def test_what_the_snapshot_does_not_hold_goes_on_to_the_url_conf(outage, public_client, django_assert_num_queries):
    snapshots.rebuild()
    with django_assert_num_queries(0):
        missing = public_client.get("/status/incidents/999999/")
        redirected = public_client.get("/status/history")
    assert missing.status_code == 404 and b"Not found" in missing.content
    assert redirected.status_code == 301 and redirected["Location"] == "/status/history/"


def test_writes_still_reach_the_view_and_are_refused(outage, public_client):
    snapshots.rebuild()
    assert public_client.post("/status/").status_code == 405
    assert public_client.post("/api/v2/summary.json").status_code == 405
