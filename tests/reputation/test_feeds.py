"""Feed polling against a feed server on loopback: conditional GET, malformed feeds, claims and back-off."""

from datetime import UTC, datetime, timedelta

import pytest
from django.db import DatabaseError
from django.utils import timezone

from reputation import feeds, services
from reputation.models import Mention, MentionSource, Sentiment
from reputation.tasks import poll_feeds

from .conftest import Feed, fixture_text

ETAG = '"v1-3f2a"'
LAST_MODIFIED = "Tue, 04 Mar 2025 10:30:00 GMT"


@pytest.fixture
def reddit(feed_server, actor):
    feed_server.feeds["/r/acme/new/.rss"] = Feed(
        fixture_text("status_feed.rss").encode(), etag=ETAG, last_modified=LAST_MODIFIED
    )
    return services.do_create_source(actor, name="r/acme", kind="feed", url=feed_server.url("/r/acme/new/.rss"))


def poll(source) -> feeds.PollReport:
    return feeds.poll([MentionSource.objects.get(pk=source.pk)], workers=2)


def test_a_feed_is_imported_with_its_entries_scored(reddit):
    report = poll(reddit)
    assert (report.polled, report.imported, report.mentions.created) == (1, 1, 3)
    checkout = Mention.objects.get(external_id="t3_1a2b3c")
    assert checkout.url == "https://www.reddit.com/r/acme/comments/1a2b3c/checkout_502/"
    assert checkout.author == "/u/angry_buyer"
    assert checkout.published_at == datetime(2025, 3, 4, 10, 5, tzinfo=UTC)
    assert checkout.text.startswith(
        "Acme checkout keeps failing with a 502, anyone else? — Tried three times, terrible."
    )
    assert "<b>" not in checkout.text  # the summary's HTML is stripped
    assert checkout.label == Sentiment.NEGATIVE and checkout.sentiment < 0
    assert checkout.state == Mention.State.NEEDS_RESPONSE  # negative, about us
    assert Mention.objects.get(external_id="t3_4d5e6f").label == Sentiment.POSITIVE
    assert checkout.platform == "r/acme"
    reddit.refresh_from_db()
    assert reddit.last_status == MentionSource.PollStatus.IMPORTED
    assert (reddit.etag, reddit.last_modified) == (ETAG, LAST_MODIFIED)
    assert reddit.last_error == ""


def test_the_next_poll_is_conditional_and_a_304_costs_no_parsing(reddit, feed_server):
    poll(reddit)
    first = feed_server.requests_to("/r/acme/new/.rss")[0]
    assert "If-None-Match" not in first and "If-Modified-Since" not in first
    report = poll(reddit)
    again = feed_server.requests_to("/r/acme/new/.rss")[1]
    assert again["If-None-Match"] == ETAG
    assert again["If-Modified-Since"] == LAST_MODIFIED
    assert (report.not_modified, report.imported, report.mentions.created) == (1, 0, 0)
    reddit.refresh_from_db()
    assert reddit.last_status == MentionSource.PollStatus.NOT_MODIFIED
    assert reddit.etag == ETAG  # kept for the poll after
    assert Mention.objects.count() == 3


def test_a_changed_feed_imports_only_its_new_entries(reddit, feed_server):
    poll(reddit)
    body = fixture_text("status_feed.rss").replace(
        "<item>",
        "<item><title>Acme status page finally updated</title><link>https://www.reddit.com/r/acme/comments/zz/"
        "</link><guid>t3_zz</guid><description>Took them long enough.</description></item><item>",
        1,
    )
    feed_server.feeds["/r/acme/new/.rss"] = Feed(body.encode(), etag='"v2"')
    report = poll(reddit)
    assert (report.imported, report.mentions.created, report.mentions.duplicates) == (1, 1, 3)
    assert Mention.objects.count() == 4
    reddit.refresh_from_db()
    assert (reddit.etag, reddit.last_modified) == ('"v2"', "")


def test_an_atom_feed_is_read_too(feed_server, actor):
    feed_server.feeds["/reviews.atom"] = Feed(fixture_text("reviews.atom").encode(), "application/atom+xml")
    source = services.do_create_source(actor, name="Reviews", kind="feed", url=feed_server.url("/reviews.atom"))
    assert poll(source).mentions.created == 2
    review = Mention.objects.get(external_id="urn:review:9001")
    assert (review.author, review.url) == ("Priya", "https://reviews.example.com/acme/9001")
    assert review.published_at == datetime(2025, 3, 4, 10, 20, tzinfo=UTC)
    assert review.label == Sentiment.NEGATIVE


def test_a_malformed_feed_is_reported_with_its_reason_and_nothing_is_imported(feed_server, actor):
    feed_server.feeds["/forum.rss"] = Feed(fixture_text("malformed.rss").encode(), etag='"broken"')
    source = services.do_create_source(actor, name="Forum", kind="feed", url=feed_server.url("/forum.rss"))
    report = poll(source)
    assert (report.failed, report.mentions.created) == (1, 0)
    # feedparser's loose parser would have handed back the good first entry: none is stored.
    assert Mention.objects.count() == 0
    source.refresh_from_db()
    assert source.last_status == MentionSource.PollStatus.FAILED
    assert source.last_error.startswith("malformed feed, nothing imported: ")
    assert "mismatched tag" in source.last_error
    assert source.etag == ""  # the broken version's ETag is not kept: the next poll fetches it whole
    assert source.failures == 1


def test_a_page_that_is_no_feed_and_an_http_error_are_reported(feed_server, actor):
    feed_server.feeds["/home"] = Feed(b"<html><body>Hello</body></html>", "text/html")
    home = services.do_create_source(actor, name="Home", kind="feed", url=feed_server.url("/home"))
    gone = services.do_create_source(actor, name="Gone", kind="feed", url=feed_server.url("/gone.rss"))
    feeds.poll([home, gone], workers=2)
    home.refresh_from_db()
    gone.refresh_from_db()
    assert home.last_error.startswith(("malformed feed", "not an RSS or Atom feed"))
    assert gone.last_error == "HTTP 404"
    assert Mention.objects.count() == 0


def test_a_failing_feed_backs_off_and_recovers(feed_server, actor):
    source = services.do_create_source(actor, name="Flaky", kind="feed", url=feed_server.url("/flaky.rss"))
    now = timezone.now()
    feeds.poll([source], now)
    source.refresh_from_db()
    assert source.next_poll_at == now + timedelta(seconds=300)
    feeds.poll([source], now)
    source.refresh_from_db()
    assert (source.failures, source.next_poll_at) == (2, now + timedelta(seconds=600))
    feed_server.feeds["/flaky.rss"] = Feed(fixture_text("status_feed.rss").encode())
    feeds.poll([source], now)
    source.refresh_from_db()
    assert (source.failures, source.last_error, source.last_status) == (0, "", "imported")


def test_an_unreachable_feed_says_so(actor, loopback_receivers):
    from tests.monitoring.servers import closed_port

    source = services.do_create_source(
        actor, name="Down", kind="feed", url=f"http://127.0.0.1:{closed_port()}/feed.rss"
    )
    feeds.poll([source])
    source.refresh_from_db()
    assert source.last_error == "could not fetch the feed: connection failed"


def test_beat_polls_only_due_enabled_feeds_once(reddit, feed_server, actor):
    later = services.do_create_source(actor, name="Later", kind="feed", url=feed_server.url("/later.rss"))
    MentionSource.objects.filter(pk=later.pk).update(next_poll_at=timezone.now() + timedelta(hours=1))
    off = services.do_create_source(actor, name="Off", kind="feed", url=feed_server.url("/off.rss"), enabled=False)
    assert poll_feeds() == {"polled": 1, "imported": 1, "not_modified": 0, "failed": 0, "mentions": 3}
    # Claimed for its interval: a second run at once finds nothing due.
    assert poll_feeds()["polled"] == 0
    assert [path for path, _ in feed_server.requests] == ["/r/acme/new/.rss"]
    off.refresh_from_db()
    assert off.last_polled_at is None


def test_a_claim_takes_each_due_feed_once(reddit):
    now = timezone.now()
    first = feeds.claim_due(now, 10)
    second = feeds.claim_due(now, 10)
    assert [s.pk for s in first] == [reddit.pk]
    assert second == []


def test_a_feed_larger_than_the_cap_is_refused(feed_server, actor, settings):
    settings.VIGIL_REPUTATION_FEED_MAX_BYTES = 1000
    feed_server.feeds["/big.rss"] = Feed(fixture_text("status_feed.rss").encode())
    source = services.do_create_source(actor, name="Big", kind="feed", url=feed_server.url("/big.rss"))
    feeds.poll([source])
    source.refresh_from_db()
    assert source.last_error == "the feed is larger than 1000 bytes"
    assert Mention.objects.count() == 0


def test_a_feed_on_a_private_address_is_refused_unless_its_network_is_allowed(feed_server, actor, settings):
    settings.VIGIL_OUTBOUND_ALLOWED_NETWORKS = []  # the default: public addresses only
    source = services.do_create_source(actor, name="Local", kind="feed", url=feed_server.url("/x.rss"))
    feeds.poll([source])
    source.refresh_from_db()
    assert "loopback" in source.last_error
    assert feed_server.requests == []


def test_an_admin_polls_a_feed_now_from_its_page(reddit, web_clients):
    response = web_clients["admin"].post(f"/monitors/reputation/sources/{reddit.pk}/poll/")
    assert response.status_code == 302
    page = web_clients["admin"].get(response["Location"]).content.decode()
    assert "Polled: imported, 3 new." in page
    assert web_clients["responder"].post(f"/monitors/reputation/sources/{reddit.pk}/poll/").status_code == 403


def test_polls_stored_together_keep_each_feeds_own_state_and_a_shared_url_once(actor):
    now = timezone.now()
    a, b, c = (services.do_create_source(actor, name=n, kind="feed", url=f"https://{n}.example/rss") for n in "abc")
    entry = lambda n: services.MentionIn(f"post {n}", url=f"https://forum.example/{n}", external_id=str(n))  # noqa: E731
    polled = [
        (a, feeds.Outcome("imported", [entry(1), entry(2)], etag='"a"')),
        (b, feeds.Outcome("imported", [entry(1), entry(3)], etag='"b"', last_modified="Tue")),
        (c, feeds.Outcome("failed", error="HTTP 500")),
    ]
    results = feeds.record_many(polled, now)
    assert [result.created for result in results] == [2, 1, 0]
    assert Mention.objects.filter(url="https://forum.example/1").get().source == a
    for source in (a, b, c):
        source.refresh_from_db()
    assert (a.etag, a.last_modified, a.last_status, a.last_imported_at) == ('"a"', "", "imported", now)
    assert (b.etag, b.last_modified, b.last_received_at) == ('"b"', "Tue", now)
    assert (c.last_status, c.last_error, c.failures, c.next_poll_at) == (
        "failed",
        "HTTP 500",
        1,
        now + timedelta(seconds=300),
    )


def test_polls_that_cannot_be_stored_together_are_stored_one_by_one(actor, monkeypatch):
    now = timezone.now()
    a, b = (services.do_create_source(actor, name=n, kind="feed", url=f"https://{n}.example/rss") for n in "ab")

    def broken(*args):
        raise DatabaseError("as if one row broke the batch")

    monkeypatch.setattr(feeds, "ingest_many", broken)
    polled = [(source, feeds.Outcome("imported", [services.MentionIn(f"from {source.name}")])) for source in (a, b)]
    assert [result.created for result in feeds.record_many(polled, now)] == [1, 1]
    assert set(MentionSource.objects.values_list("last_status", flat=True)) == {"imported"}
