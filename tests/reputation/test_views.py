"""The dashboard: the feed and its charts, the needs-response queue, sources, brands, and the incident panel."""

from datetime import timedelta

import pytest
from django.utils import timezone

from reputation import services
from reputation.models import Mention, MentionSource, MentionState
from reputation.services import MentionIn, ingest
from tests.conftest import assert_web_outcome

ROLES = ["admin", "responder", "viewer", "anonymous"]


@pytest.fixture
def rows(actor, webhook_source, outage):
    brand = services.do_create_brand(actor, name="Globex", keywords="Globex")
    mention = services.do_add_mention(actor, text="Checkout is broken, awful", url="https://x.example/1")
    return {"mention": mention.pk, "source": webhook_source.pk, "brand": brand.pk, "incident": outage.pk}


WEB_MATRIX = [
    ("get", "/monitors/reputation/", None, {"admin", "responder", "viewer"}),
    ("get", "/monitors/reputation/?days=30&label=negative", None, {"admin", "responder", "viewer"}),
    ("get", "/monitors/reputation/queue/", None, {"admin", "responder", "viewer"}),
    ("get", "/monitors/reputation/{mention}/", None, {"admin", "responder", "viewer"}),
    ("get", "/monitors/reputation/new/", None, {"admin", "responder"}),
    ("post", "/monitors/reputation/new/", {"text": "Seen on a forum: awful"}, {"admin", "responder"}),
    ("post", "/monitors/reputation/{mention}/state/", {"state": "ignored"}, {"admin", "responder"}),
    ("post", "/monitors/reputation/{mention}/link/", {"incident": "{incident}"}, {"admin", "responder"}),
    ("get", "/monitors/reputation/sources/", None, {"admin", "responder", "viewer"}),
    ("get", "/monitors/reputation/sources/{source}/", None, {"admin", "responder", "viewer"}),
    ("post", "/monitors/reputation/sources/new/", {"name": "IFTTT", "kind": "webhook", "poll_interval_seconds": 300},
     {"admin"}),
    ("post", "/monitors/reputation/sources/{source}/edit/", {"name": "Zap", "kind": "webhook",
                                                           "poll_interval_seconds": 300}, {"admin"}),
    ("post", "/monitors/reputation/sources/{source}/rotate-secret/", {}, {"admin"}),
    ("post", "/monitors/reputation/sources/{source}/delete/", {}, {"admin"}),
    ("get", "/monitors/reputation/brands/", None, {"admin", "responder", "viewer"}),
    ("post", "/monitors/reputation/brands/new/", {"name": "Initech"}, {"admin"}),
    ("post", "/monitors/reputation/brands/{brand}/edit/", {"name": "Globex Corp"}, {"admin"}),
    ("post", "/monitors/reputation/brands/{brand}/delete/", {}, {"admin"}),
]  # fmt: skip


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(
    ("method", "path", "data", "allowed"), WEB_MATRIX, ids=lambda v: v if isinstance(v, str) else ""
)
def test_web_role_matrix(web_clients, rows, role, method, path, data, allowed):
    def fill(value):
        return value.format(**rows) if isinstance(value, str) else value

    response = getattr(web_clients[role], method)(fill(path), {k: fill(v) for k, v in (data or {}).items()})
    assert_web_outcome(role, allowed, response)


def text(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def test_the_queue_lists_negative_mentions_oldest_first_and_answering_takes_one_out(web_clients, actor):
    now = timezone.now()
    old = services.do_add_mention(actor, text="Still down? terrible", published_at=now - timedelta(hours=2))
    new = services.do_add_mention(actor, text="Awful service today", published_at=now - timedelta(minutes=5))
    services.do_add_mention(actor, text="Thanks, great fix!")
    page = text(web_clients["responder"].get("/monitors/reputation/queue/"))
    assert page.index("Still down? terrible") < page.index("Awful service today")
    assert "great fix" not in page
    response = web_clients["responder"].post(
        f"/monitors/reputation/{old.pk}/state/",
        {"state": "responded", "response": "Back up since 10:05, sorry!", "next": "/monitors/reputation/queue/"},
    )
    assert response.status_code == 302 and response["Location"] == "/monitors/reputation/queue/"
    page = text(web_clients["responder"].get("/monitors/reputation/queue/"))
    assert "Still down? terrible" not in page and "Awful service today" in page
    old.refresh_from_db()
    assert old.state == MentionState.RESPONDED and old.response == "Back up since 10:05, sorry!"
    assert new.pk


def test_answering_without_text_says_why_and_changes_nothing(web_clients, actor):
    mention = services.do_add_mention(actor, text="Awful")
    response = web_clients["responder"].post(f"/monitors/reputation/{mention.pk}/state/", {"state": "responded"})
    assert response.status_code == 302
    page = text(web_clients["responder"].get(response["Location"]))
    assert "a response needs its text" in page
    mention.refresh_from_db()
    assert mention.state == MentionState.NEEDS_RESPONSE


def test_a_next_off_site_is_ignored(web_clients, actor):
    mention = services.do_add_mention(actor, text="Awful")
    response = web_clients["responder"].post(
        f"/monitors/reputation/{mention.pk}/state/", {"state": "ignored", "next": "https://evil.example/"}
    )
    assert response["Location"] == f"/monitors/reputation/{mention.pk}/"


def test_the_feed_filters_and_charts_volume_and_sentiment_per_brand(web_clients, actor, webhook_source):
    services.do_create_brand(actor, name="Acme", ours=True)
    services.do_create_brand(actor, name="Globex", keywords="Globex")
    now = timezone.now()
    ingest(
        webhook_source,
        [MentionIn(f"Globex is down, terrible #{n}", published_at=now - timedelta(hours=n)) for n in range(5)]
        + [MentionIn(f"Acme works great #{n}", published_at=now - timedelta(hours=n)) for n in range(3)],
    )
    page = text(web_clients["viewer"].get("/monitors/reputation/?days=1"))
    assert page.count('<svg class="chart" role="img"') == 2
    assert "Acme: 3 mentions" in page and "Globex: 5 mentions" in page  # the charts in words
    assert "Globex: mean sentiment -" in page
    table = page[page.index('data-testid="brand-comparison"') :]
    assert "Globex" in table and "competitor" in table
    filtered = text(web_clients["viewer"].get("/monitors/reputation/?label=positive"))
    assert "Acme works great" in filtered and "Globex is down" not in filtered


def test_the_feed_costs_a_fixed_number_of_queries(web_clients, webhook_source, django_assert_max_num_queries):
    ingest(webhook_source, [MentionIn(f"mention number {n}, awful") for n in range(120)])
    client = web_clients["viewer"]
    client.get("/monitors/reputation/")  # sessions and permissions warmed up
    # 15: every page asks once whether a non-admin administers a team (the menu's Service keys link).
    with django_assert_max_num_queries(15):
        text(client.get("/monitors/reputation/"))


def test_manual_entry_from_the_dashboard(web_clients, outage):
    response = web_clients["responder"].post(
        "/monitors/reputation/new/", {"text": "Heard on the phone: checkout is broken", "incident": outage.pk}
    )
    mention = Mention.objects.get()
    assert response["Location"] == mention.get_absolute_url()
    assert mention.incident == outage and not mention.linked_automatically
    response = web_clients["responder"].post("/monitors/reputation/new/", {"text": "x", "incident": 999})
    assert response.status_code == 400
    assert "There is no incident with this number." in response.content.decode()


def test_a_source_page_shows_the_webhook_secret_to_admins_only(web_clients, rows, webhook_source):
    path = f"/monitors/reputation/sources/{webhook_source.pk}/"
    assert webhook_source.secret in text(web_clients["admin"].get(path))
    assert webhook_source.secret not in text(web_clients["viewer"].get(path))
    assert webhook_source.secret not in text(web_clients["responder"].get(path))


def test_creating_a_feed_without_a_url_is_refused_on_the_form(web_clients, db):
    response = web_clients["admin"].post(
        "/monitors/reputation/sources/new/", {"name": "Feed", "kind": "feed", "poll_interval_seconds": 300}
    )
    assert response.status_code == 400
    assert "A feed needs its URL." in response.content.decode()
    assert not MentionSource.objects.exists()


def test_a_failed_poll_shows_its_reason_on_the_source(web_clients, actor):
    source = services.do_create_source(actor, name="Forum", kind="feed", url="https://forum.example/feed")
    MentionSource.objects.filter(pk=source.pk).update(
        last_status="failed",
        last_error="malformed feed, nothing imported: mismatched tag",
        last_polled_at=timezone.now(),
    )
    page = text(web_clients["viewer"].get(source.get_absolute_url()))
    assert "malformed feed, nothing imported: mismatched tag" in page


# --- The incident page ------------------------------------------------------------------------


def test_the_incident_page_shows_its_mentions_and_their_negative_share(web_clients, webhook_source, outage):
    now = timezone.now()
    ingest(
        webhook_source,
        [MentionIn(f"checkout is broken, terrible #{n}", published_at=now) for n in range(3)]
        + [MentionIn("checkout works again, great job", published_at=now)],
    )
    page = text(web_clients["viewer"].get(outage.get_absolute_url()))
    panel = page[page.index('data-testid="mentions-panel"') :]
    assert "<strong>4</strong> mentions linked" in panel
    assert "75% negative" in panel
    assert "3 waiting for a response" in panel
    assert "checkout is broken, terrible" in panel


def test_the_incident_panel_is_quiet_without_mentions_and_absent_for_those_who_cannot_see_them(
    web_clients, outage, personas
):
    page = text(web_clients["viewer"].get(outage.get_absolute_url()))
    assert "No mention linked to this incident." in page
    from django.contrib.auth.models import Permission

    from tests.conftest import make_user

    nosy = make_user("nosy", None)
    nosy.user_permissions.add(Permission.objects.get(codename="view_incident"))
    from django.test import Client

    client = Client()
    client.force_login(nosy)
    assert 'data-testid="mentions-panel"' not in text(client.get(outage.get_absolute_url()))
