"""The generic inbound webhook: its secret, its validation, batches and duplicates."""

import json
from datetime import UTC, datetime

import pytest
from django.test import Client

from reputation import services
from reputation.models import Mention, MentionSource, Sentiment

from .conftest import fixture_json


@pytest.fixture
def client_():
    return Client()


def post(client, source, payload, secret=None, header="HTTP_X_VIGIL_SECRET", raw=None):
    body = raw if raw is not None else json.dumps(payload)
    extra = {header: secret if secret is not None else source.secret}
    return client.post(f"/monitors/reputation/hooks/{source.pk}/", body, content_type="application/json", **extra)


def test_a_real_payload_is_stored_scored_and_answered_with_counts(client_, webhook_source, keywords):
    response = post(client_, webhook_source, fixture_json("zapier.json"))
    assert response.status_code == 200
    assert response.json() == {"received": 1, "created": 1, "duplicates": 0, "linked": 0, "needs_response": 1}
    mention = Mention.objects.get()
    assert mention.platform == "twitter"
    assert mention.author == "@dana_ops"
    assert mention.external_id == "1897263514000000001"
    assert mention.published_at == datetime(2025, 3, 4, 10, 12, 33, tzinfo=UTC)
    assert mention.label == Sentiment.NEGATIVE
    assert mention.source == webhook_source
    webhook_source.refresh_from_db()
    assert webhook_source.last_received_at is not None


def test_a_batch_is_taken_and_a_repeat_is_stored_once_even_without_url_or_id(client_, webhook_source):
    batch = fixture_json("batch.json")
    first = post(client_, webhook_source, batch).json()
    assert (first["received"], first["created"]) == (3, 3)
    again = post(client_, webhook_source, batch).json()
    assert (again["created"], again["duplicates"]) == (0, 3)
    assert Mention.objects.count() == 3
    labels = dict(Mention.objects.values_list("platform", "label"))
    assert labels["trustpilot"] == Sentiment.POSITIVE


def test_the_bearer_header_works_too(client_, webhook_source):
    response = post(
        client_,
        webhook_source,
        {"text": "hello"},
        secret=f"Bearer {webhook_source.secret}",
        header="HTTP_AUTHORIZATION",
    )
    assert response.status_code == 200


@pytest.mark.parametrize("secret", ["", "wrong", "Bearer x"])
def test_a_wrong_or_missing_secret_is_refused_and_nothing_stored(client_, webhook_source, secret):
    response = post(client_, webhook_source, {"text": "sneaky"}, secret=secret)
    assert response.status_code == 401
    assert response.json()["error"] == "unauthorized"
    assert Mention.objects.count() == 0


def test_another_sources_secret_does_not_open_this_one(client_, webhook_source, actor):
    other = services.do_create_source(actor, name="IFTTT", kind=MentionSource.Kind.WEBHOOK)
    assert post(client_, webhook_source, {"text": "x"}, secret=other.secret).status_code == 401


def test_unknown_disabled_and_non_webhook_sources_are_refused_alike(client_, webhook_source, actor):
    feed = services.do_create_source(actor, name="Feed", kind="feed", url="https://example.com/feed.rss")
    assert post(client_, feed, {"text": "x"}).status_code == 401
    services.do_update_source(actor, webhook_source, enabled=False)
    assert post(client_, webhook_source, {"text": "x"}).status_code == 401
    response = client_.post("/monitors/reputation/hooks/999999/", "{}", content_type="application/json")
    assert response.status_code == 401


def test_a_rotated_secret_stops_the_old_one(client_, webhook_source, actor):
    old = webhook_source.secret
    services.do_rotate_secret(actor, webhook_source)
    assert post(client_, webhook_source, {"text": "x"}, secret=old).status_code == 401
    assert post(client_, webhook_source, {"text": "x"}).status_code == 200


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"author": "nobody"}, "text"),
        ({"text": ""}, "text"),
        ({"text": "x", "url": "not a url"}, "url"),
        ({"text": "x", "published_at": "yesterday"}, "published_at"),
        ({"text": "x", "source": "s" * 51}, "source"),
        ({"text": ["a list"]}, "text"),
    ],
)
def test_bad_fields_are_a_400_naming_them(client_, webhook_source, payload, field):
    response = post(client_, webhook_source, payload)
    assert response.status_code == 400
    body = response.json()
    assert body["error"] == "invalid_payload"
    assert field in body["fields"]
    assert Mention.objects.count() == 0


def test_one_bad_item_refuses_the_whole_batch_with_its_index(client_, webhook_source):
    batch = fixture_json("batch.json")
    batch[1]["published_at"] = "soon"
    response = post(client_, webhook_source, batch)
    assert response.status_code == 400
    fields = response.json()["fields"]
    assert list(fields) == ["1"] and "published_at" in fields["1"]  # by index in the array
    assert Mention.objects.count() == 0


@pytest.mark.parametrize("raw", ["not json", "42", '"text"', "[]", "null"])
def test_a_body_that_is_no_mention_is_a_400(client_, webhook_source, raw):
    response = post(client_, webhook_source, None, raw=raw)
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_payload"


def test_a_batch_over_500_is_refused(client_, webhook_source):
    response = post(client_, webhook_source, [{"text": f"mention {n}"} for n in range(501)])
    assert response.status_code == 400
    assert Mention.objects.count() == 0


def test_a_body_over_a_megabyte_is_a_413(client_, webhook_source):
    response = post(client_, webhook_source, {"text": "x" * (1024 * 1024 + 10)})
    assert response.status_code == 413


def test_only_post_is_allowed(client_, webhook_source):
    assert client_.get(f"/monitors/reputation/hooks/{webhook_source.pk}/").status_code == 405


def test_the_secret_is_compared_in_constant_time(webhook_source, monkeypatch):
    import hmac

    calls = []
    real = hmac.compare_digest
    monkeypatch.setattr(hmac, "compare_digest", lambda a, b: calls.append((a, b)) or real(a, b))
    assert services.access_webhook(webhook_source.pk, "guess") is None
    assert services.access_webhook(999999, "guess") is None  # compared against a stand-in, too
    assert services.access_webhook(webhook_source.pk, webhook_source.secret) == webhook_source
    assert len(calls) == 3
