"""The admin's "Import from another tool" page: the same importers as import_from, in two steps."""

from pathlib import Path

import pytest
from django.test import Client

from importers.admin_pending import SESSION_KEY
from importers.models import ImportedObject
from incidents.models import Schedule, Team
from monitoring.models import Monitor
from vigil.models import AuditEntry

from .conftest import build_kuma_db, oncall_counts
from .pagerduty_fake import API_KEY, FakePagerDuty

pytestmark = pytest.mark.django_db

URL = "/admin/importers/importedobject/import/"
APPLY = "/admin/importers/importedobject/import/apply/"


@pytest.fixture(autouse=True)
def own_var_dir(settings, tmp_path):
    """Each test its own VAR_DIR: pending_files() sees only that test's uploads."""
    settings.VAR_DIR = tmp_path / "var"


@pytest.fixture
def admin(admin_user) -> Client:
    client = Client()
    client.force_login(admin_user)
    return client


@pytest.fixture
def fake(tmp_path):
    server = FakePagerDuty(tmp_path)
    yield server
    server.close()


def plan_kuma(admin, db: Path):
    with open(db, "rb") as upload:
        return admin.post(URL, {"source": "uptime-kuma", "instance": "default", "db": upload})


def apply(admin, response):
    return admin.post(APPLY, {"pending": response.context["outcome"].pending_id})


def plan_pagerduty(admin, fake, key=API_KEY):
    with open(fake.ca_file, "rb") as ca:
        data = {"source": "pagerduty", "instance": "default", "api_key": key, "api_url": fake.url, "ca_file": ca}
        return admin.post(URL, data)


def nothing_imported() -> bool:
    """No schedule, rotation, override, policy, integration, team, record or import audit row
    (the sign-in's own audit row is not the import's)."""
    return oncall_counts()[1:-1] == (0,) * 7 and not AuditEntry.objects.filter(via="import").exists()


def pending_files() -> list[Path]:
    from django.conf import settings

    return list((Path(settings.VAR_DIR) / "imports").glob("*"))


def test_the_changelist_links_to_the_page_and_the_page_shows_the_form(admin):
    assert URL in admin.get("/admin/importers/importedobject/").content.decode()

    page = admin.get(URL).content.decode()

    assert "Show the plan" in page and 'name="api_key"' in page and 'type="file"' in page


@pytest.mark.parametrize("persona", ["responder", "viewer"])
def test_a_responder_or_viewer_gets_403(persona, request):
    client = Client()
    client.force_login(request.getfixturevalue(persona))

    assert client.get(URL).status_code == 403
    assert client.post(URL, {"source": "uptime-kuma"}).status_code == 403
    assert client.post(APPLY, {"pending": "x"}).status_code == 403


def test_an_anonymous_visitor_is_sent_to_log_in(client):
    response = client.get(URL)

    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_a_kuma_upload_shows_the_plan_then_imports_then_imports_nothing_again(admin, admin_user, tmp_path):
    db = build_kuma_db(tmp_path / "kuma.db")

    planned = plan_kuma(admin, db)

    page = planned.content.decode()
    assert planned.status_code == 200
    assert "Will create (10):" in page
    assert "monitor &quot;Website&quot; (Kuma #1, http) -&gt; HTTP(S) POST https://example.com/health" in page
    assert Monitor.objects.count() == 0 and ImportedObject.objects.count() == 0
    assert len(pending_files()) == 1

    done = apply(admin, planned)

    assert "Created 10, skipped 0 imported before, 0 errors." in done.content.decode()
    assert Monitor.objects.count() == 5
    assert AuditEntry.objects.filter(via="import", actor=admin_user).exists()
    assert not AuditEntry.objects.filter(via="import", actor=None).exists()
    assert pending_files() == []

    again = apply(admin, plan_kuma(admin, db))

    assert "Created 0, skipped 10 imported before, 0 errors." in again.content.decode()
    assert Monitor.objects.count() == 5 and pending_files() == []


def test_the_pending_id_works_once(admin, tmp_path):
    planned = plan_kuma(admin, build_kuma_db(tmp_path / "kuma.db"))
    apply(admin, planned)

    second = apply(admin, planned)

    assert "no longer pending" in second.content.decode()


def test_a_new_plan_deletes_the_previous_upload(admin, tmp_path):
    db = build_kuma_db(tmp_path / "kuma.db")
    plan_kuma(admin, db)
    first = pending_files()

    plan_kuma(admin, db)

    assert len(pending_files()) == 1 and pending_files() != first


def test_a_file_that_is_not_sqlite_is_refused_and_nothing_is_written(admin, tmp_path):
    junk = tmp_path / "kuma.db"
    junk.write_text("this is not a database\n" * 10)

    response = plan_kuma(admin, junk)

    assert "kuma.db cannot be read as an SQLite database" in response.content.decode()
    assert Monitor.objects.count() == 0 and ImportedObject.objects.count() == 0
    assert pending_files() == []


def test_a_file_over_the_limit_is_refused(admin, tmp_path, monkeypatch):
    monkeypatch.setattr("importers.admin_form.MAX_UPLOAD_BYTES", 1024)

    response = plan_kuma(admin, build_kuma_db(tmp_path / "kuma.db"))

    assert response.context["form"].errors["db"][0].endswith("the limit is 0 MB.")
    assert Monitor.objects.count() == 0 and pending_files() == []


def test_an_sqlite_file_that_is_not_kuma_gets_the_readers_message_without_the_temporary_path(admin, tmp_path):
    import sqlite3

    other = tmp_path / "other.db"
    sqlite3.connect(other).execute("CREATE TABLE t (x)").connection.close()

    page = plan_kuma(admin, other).content.decode()

    assert "other.db is not an Uptime Kuma database: it has no monitor table" in page
    assert ".upload" not in page and pending_files() == []


def test_pagerduty_by_token_plans_then_imports(admin, fake, ben):
    planned = plan_pagerduty(admin, fake)

    page = planned.content.decode()
    assert "Import from pagerduty/default" in page and "Will create (14):" in page
    assert API_KEY not in page
    assert nothing_imported()

    done = apply(admin, planned)

    assert "Created 14, skipped 0 imported before, 0 errors." in done.content.decode()
    assert Schedule.objects.count() == 2
    assert Team.objects.filter(name="Payments", members__email="anna@example.com").exists()
    assert pending_files() == []
    assert SESSION_KEY not in admin.session


def test_a_refused_token_shows_the_sources_message_and_not_the_key(admin, fake, caplog):
    response = plan_pagerduty(admin, fake, key="secret-wrong-key-123")

    assert "secret-wrong-key-123" not in caplog.text
    page = response.content.decode()
    assert "PagerDuty refused the API key (401 Unauthorized)" in page
    assert "secret-wrong-key-123" not in page
    assert nothing_imported()
    assert SESSION_KEY not in admin.session and pending_files() == []


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"source": "uptime-kuma"}, "db"),
        ({"source": "pagerduty"}, "api_key"),
        ({"source": "statuspage", "api_key": "k"}, "page_id"),
        ({"source": "grafana-oncall", "api_key": "k"}, "api_url"),
    ],
)
def test_a_missing_field_of_the_chosen_source_is_named_beside_it(admin, data, field):
    response = admin.post(URL, {"instance": "default", **data})

    assert response.status_code == 400
    assert response.context["form"].errors[field] == [f"{data['source']} needs this."]
    page = response.content.decode()
    row = page[page.index(f'id="row-{field}"') :]
    assert "needs this." in row[: row.index("</div>")]
    assert 'value="k"' not in page  # a typed key is never rendered back


def test_every_source_has_its_fields_declared():
    from importers.admin_form import SOURCE_FIELDS
    from importers.sources import IMPORTERS

    assert set(SOURCE_FIELDS) == set(IMPORTERS)


def test_a_get_of_the_apply_url_is_refused(admin):
    assert admin.get(APPLY).status_code == 405


def test_an_upload_abandoned_a_day_ago_is_deleted_by_the_next_upload(settings, tmp_path):
    import os
    from types import SimpleNamespace

    from importers.admin_pending import save_upload, upload_dir

    settings.VAR_DIR = tmp_path
    old = upload_dir() / "abandoned.upload"
    old.write_bytes(b"x")
    os.utime(old, (0, 0))
    recent = upload_dir() / "recent.upload"
    recent.write_bytes(b"y")
    kept = save_upload(SimpleNamespace(chunks=lambda: [b"SQLite format 3\x00"]))
    assert not old.exists() and recent.exists() and os.path.exists(kept)
