"""Storing mentions: duplicates, brands, the linking to incidents, and where each starts in the workflow."""

from datetime import timedelta

import pytest
from django.db import IntegrityError
from django.utils import timezone

from incidents.services import do_declare, do_resolve
from reputation import services
from reputation.models import Brand, Mention, MentionState
from reputation.services import MentionIn, ingest


def at(minutes: float = 0):
    return timezone.now() + timedelta(minutes=minutes)


def test_a_mention_is_stored_once_by_url_or_by_its_id_at_the_source(webhook_source, actor):
    other = services.do_create_source(actor, name="Other", kind="webhook")
    items = [
        MentionIn("first", url="https://x.example/1"),
        MentionIn("same url again", url="https://x.example/1"),
        MentionIn("by id", external_id="42"),
        MentionIn("same id again", external_id="42"),
    ]
    result = ingest(webhook_source, items)
    assert (result.received, result.created, result.duplicates) == (4, 2, 2)
    # The same URL from another source is the same mention; the same id at another source is not.
    result = ingest(other, [MentionIn("relayed", url="https://x.example/1"), MentionIn("theirs", external_id="42")])
    assert (result.created, result.duplicates) == (1, 1)
    assert Mention.objects.count() == 3


def test_the_database_refuses_a_duplicate_that_slips_past_the_checks(webhook_source):
    ingest(webhook_source, [MentionIn("one", url="https://x.example/1", external_id="a")])
    row = Mention.objects.get()
    row.pk = None
    row.external_id = "b"
    with pytest.raises(IntegrityError):
        row.save()


def test_bulk_insert_skips_conflicts_without_failing(webhook_source, monkeypatch):
    ingest(webhook_source, [MentionIn("one", url="https://x.example/1")])
    # As if another request stored it between the check and the insert.
    monkeypatch.setattr(services, "_not_stored", lambda entries: entries)
    result = ingest(webhook_source, [MentionIn("one again", url="https://x.example/1"), MentionIn("two")])
    assert Mention.objects.count() == 2
    assert result.received == 2


def test_a_negative_mention_of_us_waits_for_a_response_others_start_new(webhook_source):
    ingest(webhook_source, [MentionIn("This is a terrible outage, awful."), MentionIn("Great product, love it")])
    states = dict(Mention.objects.values_list("label", "state"))
    assert states == {"negative": MentionState.NEEDS_RESPONSE, "positive": MentionState.NEW}


def test_brands_come_from_the_source_or_a_competitors_keywords_else_ours(webhook_source, actor, keywords):
    ours = services.do_create_brand(actor, name="Acme", ours=True)
    rival = services.do_create_brand(actor, name="Globex", keywords="Globex, globex.com")
    tagged = services.do_create_source(actor, name="Globex reviews", kind="webhook", brand=rival)
    ingest(webhook_source, [MentionIn("Globex is down, awful", url="https://x/1")])
    ingest(webhook_source, [MentionIn("Moving from Globex to Acme, terrible support there", url="https://x/2")])
    ingest(webhook_source, [MentionIn("No name at all here, terrible", url="https://x/3")])
    ingest(tagged, [MentionIn("Their billing is broken, awful", url="https://x/4")])
    brands = dict(Mention.objects.values_list("url", "brand"))
    assert brands == {"https://x/1": rival.pk, "https://x/2": ours.pk, "https://x/3": ours.pk, "https://x/4": rival.pk}
    # A competitor's negative mentions do not land in our queue.
    assert Mention.objects.get(url="https://x/1").state == MentionState.NEW
    assert Mention.objects.get(url="https://x/3").state == MentionState.NEEDS_RESPONSE


def test_only_one_brand_is_ours(actor):
    services.do_create_brand(actor, name="Acme", ours=True)
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError, match="already ours"):
        services.do_create_brand(actor, name="Acme Cloud", ours=True)
    with pytest.raises(IntegrityError):
        Brand.objects.create(name="Sneaky", ours=True)


# --- Linking to incidents ---------------------------------------------------------------------


def test_a_mention_naming_an_affected_component_is_linked_to_the_open_incident(webhook_source, outage):
    result = ingest(webhook_source, [MentionIn("the checkout page keeps spinning", published_at=at())])
    mention = Mention.objects.get()
    assert (mention.incident, mention.linked_automatically) == (outage, True)
    assert result.linked == 1


def test_a_mention_naming_the_company_is_linked_to_the_most_severe_open_incident(
    webhook_source, actor, outage, keywords
):
    do_declare(actor, title="Slow search", severity="sev3")
    ingest(webhook_source, [MentionIn("is ACME having problems?", published_at=at())])
    assert Mention.objects.get().incident == outage


def test_a_mention_naming_neither_is_not_linked(webhook_source, outage, keywords):
    ingest(webhook_source, [MentionIn("my cat is asleep on the keyboard", published_at=at())])
    assert Mention.objects.get().incident is None


def test_a_mention_posted_before_the_incident_or_after_it_resolved_is_not_linked(webhook_source, actor, outage):
    ingest(webhook_source, [MentionIn("checkout broken", published_at=outage.started_at - timedelta(minutes=5))])
    do_resolve(actor, outage)
    ingest(webhook_source, [MentionIn("checkout broken again", published_at=at(5))])
    assert list(Mention.objects.values_list("incident", flat=True)) == [None, None]


def test_a_late_mention_is_linked_to_the_incident_open_when_it_was_posted(webhook_source, actor, outage):
    posted = at(-0.01)
    do_resolve(actor, outage)
    ingest(webhook_source, [MentionIn("checkout was broken for me", published_at=max(posted, outage.started_at))])
    assert Mention.objects.get().incident == outage


def test_a_competitors_mention_is_never_linked(webhook_source, actor, outage):
    rival = services.do_create_brand(actor, name="Globex", keywords="Globex")
    ingest(webhook_source, [MentionIn("Globex checkout is down", published_at=at())])
    mention = Mention.objects.get()
    assert mention.brand == rival and mention.incident is None


def test_a_spike_incident_ranks_below_a_real_outage(webhook_source, actor, outage, keywords):
    do_declare(actor, title="Mention spike", severity="sev1", source="reputation", dedup_key="reputation:spike:x")
    ingest(webhook_source, [MentionIn("Acme, what is going on", published_at=at())])
    assert Mention.objects.get().incident == outage


def test_linking_by_hand_and_unlinking(webhook_source, actor, outage):
    ingest(webhook_source, [MentionIn("unrelated words", published_at=at())])
    mention = services.do_link(actor, Mention.objects.get(), outage)
    assert (mention.incident, mention.linked_automatically) == (outage, False)
    assert services.do_link(actor, mention, None).incident is None


def test_manual_entry_is_scored_and_may_be_linked_by_hand(actor, outage):
    mention = services.do_add_mention(actor, text="Support was awful today", author="Pat", incident=outage)
    assert mention.label == "negative"
    assert (mention.incident, mention.linked_automatically, mention.source) == (outage, False, None)
    from django.core.exceptions import ValidationError

    services.do_add_mention(actor, text="one", url="https://x.example/a")
    with pytest.raises(ValidationError, match="already recorded"):
        services.do_add_mention(actor, text="two", url="https://x.example/a")


def test_a_mention_dated_in_the_future_is_taken_as_posted_now(webhook_source):
    ingest(webhook_source, [MentionIn("from a fast clock", published_at=at(60 * 24))])
    assert Mention.objects.get().published_at <= timezone.now()


def test_a_stored_mention_keeps_every_value_ingest_gave_it(webhook_source):
    # ingest writes plain values (vigil.db.bulk_insert), not through each field: the times must come back as given.
    now, posted = at(), at(-30)
    ingest(webhook_source, [MentionIn("Awful outage", published_at=posted, url="https://x/1", author="Ann")], now=now)
    row = Mention.objects.get()
    assert (row.source, row.url, row.author, row.text) == (webhook_source, "https://x/1", "Ann", "Awful outage")
    assert (row.published_at, row.received_at, row.state_changed_at) == (posted, now, now)
    assert row.sentiment < 0 and row.label == "negative" and row.state == MentionState.NEEDS_RESPONSE
    assert (row.response, row.responded_by, row.responded_at) == ("", None, None)


def test_text_with_tabs_newlines_and_backslashes_is_stored_as_it_came(webhook_source):
    # On PostgreSQL ingest writes with COPY (vigil.db.bulk_insert), whose text format escapes these.
    texts = ["tab\there", "line\nbreak", r"back\slash \N \t", "\\N", "ünïcode ✓"]
    result = ingest(webhook_source, [MentionIn(text, url=f"https://x.example/{n}") for n, text in enumerate(texts)])
    assert result.created == len(texts)
    stored = dict(Mention.objects.values_list("url", "text"))
    assert [stored[f"https://x.example/{n}"] for n in range(len(texts))] == texts
    assert set(Mention.objects.values_list("author", "external_id", "state_changed_at", "incident")) == {
        ("", "", None, None)
    }
