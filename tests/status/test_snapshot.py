"""The snapshot: stored atomically, served without a query, and still served while the database is down."""

import json
import os
import shutil
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from django.db import OperationalError, connection

from comms.status import snapshot as snapshots
from comms.status.views import document_path

ROOT = Path(__file__).resolve().parents[2]


def url_of(path: str) -> str:
    """The URL Vigil serves a snapshot document at."""
    if path.startswith("api/v2/"):
        return "/" + path
    return "/status/" + (path[: -len("index.html")] if path.endswith("index.html") else path)


def test_a_rebuild_stores_every_document_in_a_file_with_the_time_it_was_taken(outage, past_incident):
    snapshot = snapshots.rebuild()
    raw = snapshots.snapshot_path().read_bytes()
    stored = snapshots.Snapshot.unpack(raw)
    assert stored.version == snapshot.version
    assert abs((stored.taken_at - datetime.now(UTC)).total_seconds()) < 60
    expected = {
        "index.html",
        "history/index.html",
        f"incidents/{outage.pk}/index.html",
        f"incidents/{past_incident.pk}/index.html",
        "404.html",
        "feed.atom",
        "feed.rss",
        "api/v2/summary.json",
        "api/v2/status.json",
        "api/v2/components.json",
        "api/v2/incidents.json",
        "api/v2/incidents/unresolved.json",
        "api/v2/scheduled-maintenances.json",
        "api/v2/scheduled-maintenances/upcoming.json",
        "api/v2/scheduled-maintenances/active.json",
    }
    assert expected <= set(stored.documents)
    assert {p.split(".")[0] for p in stored.documents if p.startswith("assets/")} == {
        "assets/status",
        "assets/favicon",
    }
    for path, doc in snapshot.documents.items():
        assert stored.documents[path] == doc


def test_the_file_is_replaced_whole_and_no_temporary_file_is_left(outage):
    snapshots.rebuild()
    first = snapshots.snapshot_path().stat().st_ino
    snapshots.rebuild()
    assert snapshots.snapshot_path().stat().st_ino != first  # a new file renamed over the old one
    leftovers = [p.name for p in snapshots.snapshot_dir().iterdir() if p.name not in ("snapshot.bin", ".lock")]
    assert leftovers == []


def test_an_older_snapshot_never_replaces_a_newer_one(outage):
    newer = snapshots.build()
    older = snapshots.build(now=datetime.now(UTC) - timedelta(minutes=5))
    snapshots.publish(newer)
    snapshots.publish(older)
    assert snapshots.Snapshot.unpack(snapshots.snapshot_path().read_bytes()).version == newer.version
    assert snapshots.current().version == newer.version


def test_a_process_publishing_late_serves_the_newer_snapshot_another_process_wrote(outage):
    newer = snapshots.build()
    older = snapshots.build(now=datetime.now(UTC) - timedelta(minutes=5))
    snapshots.write_file(newer.pack(), newer.version)  # another process, finished first
    snapshots.publish(older)
    assert snapshots.current().version == newer.version


def test_every_public_document_is_served_without_a_query(
    outage, past_incident, public_client, web_clients, django_assert_num_queries
):
    snapshot = snapshots.rebuild()
    snapshots._held.reset()  # as a fresh web process: it reads the file
    for path in snapshot.documents:
        for client in (public_client, web_clients["responder"]):
            with django_assert_num_queries(0):
                response = client.get(url_of(path))
            assert response.status_code == 200, path
            assert response.content == snapshot.documents[path].body
            assert response["ETag"] == snapshot.documents[path].etag


def test_an_unknown_page_is_the_snapshots_404_without_a_query(outage, public_client, django_assert_num_queries):
    snapshots.rebuild()
    with django_assert_num_queries(0):
        response = public_client.get("/status/incidents/999999/")
        missing_json = public_client.get("/api/v2/nothing.json")
    assert response.status_code == 404
    assert b"Not found" in response.content
    assert missing_json.status_code == 404


def test_a_directory_without_its_slash_is_redirected(outage, public_client):
    snapshots.rebuild()
    response = public_client.get("/status/history")
    assert response.status_code == 301
    assert response["Location"] == "/status/history/"


def test_gzip_and_conditional_requests_are_answered_from_the_snapshot(outage, public_client):
    snapshot = snapshots.rebuild()
    doc = snapshot.documents["index.html"]
    zipped = public_client.get("/status/", HTTP_ACCEPT_ENCODING="gzip, br")
    assert zipped["Content-Encoding"] == "gzip"
    assert zipped.content == doc.gzipped
    assert "Accept-Encoding" in zipped["Vary"]
    unchanged = public_client.get("/status/", HTTP_IF_NONE_MATCH=doc.etag)
    assert unchanged.status_code == 304
    assert unchanged.content == b""


def test_assets_are_cached_for_good_and_documents_briefly(outage, public_client, settings):
    settings.VIGIL_STATUS_MAX_AGE = 15
    snapshot = snapshots.rebuild()
    asset = next(p for p in snapshot.documents if p.startswith("assets/status."))
    assert "immutable" in public_client.get(url_of(asset))["Cache-Control"]
    assert public_client.get("/status/")["Cache-Control"] == "public, max-age=15"


def test_a_fresh_process_builds_the_first_snapshot_itself(outage, public_client):
    assert not snapshots.snapshot_path().exists()
    response = public_client.get("/status/")
    assert response.status_code == 200
    assert b"Elevated API errors" in response.content
    assert snapshots.snapshot_path().exists()


def test_writes_are_refused_on_the_status_page(outage, public_client):
    snapshots.rebuild()
    assert public_client.post("/status/").status_code in (403, 405)
    assert public_client.delete("/api/v2/summary.json").status_code == 405


# --- The database is down ---------------------------------------------------------------------------


def _refuse_every_query(execute, sql, params, many, context):
    raise OperationalError("could not connect to server: Connection refused")


def test_the_page_stays_up_while_every_query_fails(outage, public_client):
    snapshots.rebuild()
    snapshots._held.reset()
    with connection.execute_wrapper(_refuse_every_query):
        with pytest.raises(OperationalError):
            connection.cursor().execute("SELECT 1")
        page = public_client.get("/status/")
        summary = public_client.get("/api/v2/summary.json")
        feed = public_client.get("/status/feed.atom")
    assert page.status_code == summary.status_code == feed.status_code == 200
    assert b"Elevated API errors" in page.content
    assert b'data-testid="taken-at"' in page.content
    assert json.loads(summary.content)["status"]["indicator"] == "major"


def test_an_old_snapshot_says_when_it_was_taken_and_that_it_may_be_out_of_date(outage, public_client, settings):
    settings.VIGIL_STATUS_STALE_AFTER = 300
    snapshots.publish(snapshots.build(now=datetime.now(UTC) - timedelta(minutes=20)))
    with connection.execute_wrapper(_refuse_every_query):
        page = public_client.get("/status/", HTTP_ACCEPT_ENCODING="gzip")
    assert page.status_code == 200
    assert "Content-Encoding" not in page  # the notice is added to the plain body
    body = page.content.decode()
    assert 'data-testid="stale"' in body
    assert "may be out of date" in body
    assert "Elevated API errors" in body


def test_a_fresh_snapshot_shows_no_stale_notice(outage, public_client):
    snapshots.rebuild()
    assert b'data-testid="stale"' not in public_client.get("/status/").content


def test_a_web_process_whose_database_is_unreachable_serves_the_stored_page(outage, past_incident, tmp_path):
    """A separate process, its DATABASE_URL pointing at a closed port: the page, the JSON and the
    feeds come from the snapshot file; /healthz (which asks the database) fails."""
    snapshots.rebuild()
    # The other process keeps its snapshots where it always does: VAR_DIR/status.
    other_var = tmp_path / "other-var"
    (other_var / "status").mkdir(parents=True)
    shutil.copy(snapshots.snapshot_path(), other_var / "status" / snapshots.FILE_NAME)
    script = """
import json, django
django.setup()
from django.test.utils import setup_test_environment
setup_test_environment()
from django.test import Client
client = Client(raise_request_exception=False)
out = {}
for path in ["/status/", "/status/history/", "/api/v2/summary.json", "/status/feed.rss", "/healthz"]:
    response = client.get(path)
    out[path] = [response.status_code, response.content.decode(errors="replace")]
print("RESULT" + json.dumps(out))
"""
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "DATABASE_URL")}
    env.update(
        DJANGO_SETTINGS_MODULE="vigil.settings",
        DEBUG="1",
        DATABASE_URL="postgres://nobody@127.0.0.1:9/unreachable?connect_timeout=2",
        VIGIL_VAR_DIR=str(other_var),
    )
    finished = subprocess.run(
        [sys.executable, "-c", script], env=env, cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    line = next((x for x in finished.stdout.splitlines() if x.startswith("RESULT")), None)
    assert line, finished.stderr[-3000:]
    out = json.loads(line[len("RESULT") :])
    assert out["/healthz"][0] == 500  # the database really is unreachable
    for path in ["/status/", "/status/history/", "/api/v2/summary.json", "/status/feed.rss"]:
        assert out[path][0] == 200, (path, out[path][1][:500])
    assert "Elevated API errors" in out["/status/"][1]
    assert "Last updated" in out["/status/"][1]
    assert json.loads(out["/api/v2/summary.json"][1])["incidents"][0]["name"] == "Elevated API errors"


def test_document_paths_map_directories_to_their_index():
    assert document_path("") == "index.html"
    assert document_path("history/") == "history/index.html"
    assert document_path("feed.atom") == "feed.atom"


def test_a_damaged_file_is_ignored_and_the_held_snapshot_kept(outage, public_client):
    snapshots.rebuild()
    snapshots.snapshot_path().write_bytes(b"garbage")
    response = public_client.get("/status/")
    assert response.status_code == 200
    assert b"Elevated API errors" in response.content


# --- Redis: several web machines ------------------------------------------------------------------


@pytest.fixture
def with_redis(redis_url, settings):
    import redis

    settings.REDIS_URL = redis_url
    client = redis.Redis.from_url(redis_url)
    client.delete(snapshots.REDIS_DATA_KEY, snapshots.REDIS_VERSION_KEY)
    yield client
    client.delete(snapshots.REDIS_DATA_KEY, snapshots.REDIS_VERSION_KEY)


def test_another_machine_picks_the_snapshot_up_from_redis(outage, with_redis, settings, tmp_path, public_client):
    built = snapshots.rebuild()
    assert with_redis.get(snapshots.REDIS_VERSION_KEY).decode() == built.version
    # Another machine: its own empty directory, nothing held in memory.
    settings.VIGIL_STATUS_DIR = str(tmp_path / "machine-b")
    snapshots._held.reset()
    response = public_client.get("/status/")
    assert response.status_code == 200
    assert response.content == built.documents["index.html"].body
    # It keeps its own copy, in case Redis goes away next.
    assert snapshots.Snapshot.unpack(snapshots.snapshot_path().read_bytes()).version == built.version


def test_with_redis_unreachable_the_file_is_served(outage, settings, public_client):
    settings.REDIS_URL = "redis://127.0.0.1:9/0"
    snapshots.rebuild()  # logs that Redis is unavailable; the file has it
    snapshots._held.reset()
    response = public_client.get("/status/")
    assert response.status_code == 200
    assert b"Elevated API errors" in response.content
