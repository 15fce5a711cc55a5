"""Upgrading an install from before reputation watch left monitoring (issue #16) loses nothing.

The database is taken back to monitoring's last migration before the move, filled as that code
filled it (mentions, sources, brands, a spike, the content types and permissions Django made for
the models under "monitoring", beat's schedule rows naming the old tasks), and migrated forward:
everything is read back through the reputation app, on SQLite or PostgreSQL (DATABASE_URL).
"""

from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, connection
from django.db.migrations.executor import MigrationExecutor
from django_celery_beat.models import PeriodicTask

from incidents.models import Incident
from reputation.models import Brand, Mention, MentionSource, MentionSpike, MentionState, Sentiment
from vigil.celery import app as celery_app

BEFORE = [("monitoring", "0007_replicas_of_shared_components"), ("reputation", None)]
MODELS = ["brand", "mention", "mentionsource", "mentionspike"]
T0 = datetime(2030, 3, 4, 10, 0, tzinfo=UTC)


@pytest.fixture
def migrator(transactional_db):
    """Every app back to its latest migration afterwards, whatever happens."""
    yield
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
    ContentType.objects.clear_cache()


def _old_apps():
    """The database as it was before the move, and the models as that code saw them."""
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    ContentType.objects.clear_cache()
    others = [node for node in executor.loader.graph.leaf_nodes() if node[0] not in ("monitoring", "reputation")]
    return executor.loader.project_state([*others, BEFORE[0]]).apps


def _fill_as_before(old) -> dict:
    """What an install had: rows in the four tables, their content types under "monitoring" (and
    none under "reputation"), a permission held by a group and a user, beat's rows of the old tasks."""
    ContentType_ = old.get_model("contenttypes", "ContentType")
    Permission_, Group_ = old.get_model("auth", "Permission"), old.get_model("auth", "Group")
    User_ = old.get_model("auth", "User")
    ContentType_.objects.filter(app_label__in=["monitoring", "reputation"], model__in=MODELS).delete()
    types = {model: ContentType_.objects.create(app_label="monitoring", model=model) for model in MODELS}
    answer = Permission_.objects.create(
        content_type=types["mention"], codename="change_mention", name="Can change mention"
    )
    group = Group_.objects.create(name="mention answerers")
    group.permissions.add(answer)
    user = User_.objects.create(username="pat")
    user.user_permissions.add(answer)

    Incident_ = old.get_model("incidents", "Incident")
    incident = Incident_.objects.create(title="Checkout failing", dedup_key="reputation:spike:2030-03-04T10Z")
    Brand_ = old.get_model("monitoring", "Brand")
    ours = Brand_.objects.create(name="Acme", ours=True, keywords="Acme, acme.io")
    rival = Brand_.objects.create(name="Globex", keywords="Globex")
    Source_ = old.get_model("monitoring", "MentionSource")
    source = Source_.objects.create(name="Zapier", kind="webhook", brand=rival, secret="s3cret-from-before")
    Mention_ = old.get_model("monitoring", "Mention")
    answered = Mention_.objects.create(
        source=source, brand=ours, platform="reddit", external_id="t3_abc", url="https://reddit.example/t3_abc",
        author="u/someone", text="Acme checkout is down again", published_at=T0, sentiment=-0.6,
        label="negative", incident=incident, linked_automatically=True, state="responded",
        state_changed_at=T0 + timedelta(minutes=5), response="We are on it.", responded_by=user,
        responded_at=T0 + timedelta(minutes=5),
    )  # fmt: skip
    waiting = Mention_.objects.create(
        brand=rival, text="Globex works great", published_at=T0, sentiment=0.6, label="positive"
    )
    Spike_ = old.get_model("monitoring", "MentionSpike")
    spike = Spike_.objects.create(
        started_at=T0, last_hour_at=T0 + timedelta(hours=1), reason="negative", mentions=40, negative=30,
        baseline_mean=4.0, baseline_stddev=1.5, baseline_negative_share=0.2, threshold=8.5, incident=incident,
    )  # fmt: skip

    Interval_ = old.get_model("django_celery_beat", "IntervalSchedule")
    Task_ = old.get_model("django_celery_beat", "PeriodicTask")
    every_minute = Interval_.objects.create(every=60, period="seconds")
    Task_.objects.filter(name__in=["reputation-poll-feeds", "spikes by hand"]).delete()
    Task_.objects.create(
        name="reputation-poll-feeds", task="monitoring.reputation.tasks.poll_feeds", interval=every_minute
    )
    Task_.objects.create(name="spikes by hand", task="monitoring.reputation.tasks.detect_spikes", interval=every_minute)
    return {
        "types": {model: ct.pk for model, ct in types.items()},
        "permission": answer.pk,
        "group": group.pk,
        "user": user.pk,
        "incident": incident.pk,
        "brands": (ours.pk, rival.pk),
        "source": source.pk,
        "mentions": (answered.pk, waiting.pk),
        "spike": spike.pk,
    }


def _migrate_forward() -> None:
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
    ContentType.objects.clear_cache()


def test_an_upgrade_keeps_every_mention_source_brand_and_spike(migrator):
    before = _fill_as_before(_old_apps())
    _migrate_forward()

    ours, rival = (Brand.objects.get(pk=pk) for pk in before["brands"])
    assert (ours.name, ours.ours, ours.keyword_list()) == ("Acme", True, ["Acme", "acme.io"])
    source = MentionSource.objects.get(pk=before["source"])
    assert (source.name, source.kind, source.brand, source.secret) == ("Zapier", "webhook", rival, "s3cret-from-before")
    answered, waiting = (Mention.objects.get(pk=pk) for pk in before["mentions"])
    assert answered.source == source and answered.brand == ours
    assert (answered.text, answered.published_at, answered.sentiment, answered.label) == (
        "Acme checkout is down again",
        T0,
        -0.6,
        Sentiment.NEGATIVE,
    )
    assert answered.state == MentionState.RESPONDED and answered.response == "We are on it."
    assert answered.responded_by.username == "pat" and answered.time_to_respond == timedelta(minutes=5)
    assert answered.incident_id == before["incident"] and answered.linked_automatically
    assert waiting.brand == rival and waiting.state == MentionState.NEW and waiting.incident is None
    spike = MentionSpike.objects.get(pk=before["spike"])
    assert spike.incident.title == "Checkout failing" and spike.negative_share == 0.75
    assert set(Mention.objects.filter(incident_id=before["incident"]).values_list("pk", flat=True)) == {answered.pk}

    # The tables keep their keys, constraints and links. A new row takes the next id (PostgreSQL's
    # identity sequence came along with the table).
    ours = Brand.objects.get(pk=before["brands"][0])
    later = Mention.objects.create(text="Acme is back up", published_at=T0, sentiment=0.5, label="positive")
    assert later.pk > max(before["mentions"])
    # The database still refuses a second mention of one URL (services.ingest relies on it).
    assert Mention.objects.filter(url="https://reddit.example/t3_abc").count() == 1
    with pytest.raises(IntegrityError):
        Mention.objects.create(
            url="https://reddit.example/t3_abc", text="again", published_at=T0, sentiment=0, label="neutral"
        )
    # Incidents are still the target of the foreign keys: deleting one lets go of its mentions and spike.
    Incident.objects.filter(pk=before["incident"]).delete()
    assert Mention.objects.get(pk=before["mentions"][0]).incident is None
    assert MentionSpike.objects.get(pk=before["spike"]).incident is None
    # And the foreign keys among the four: a brand deleted leaves its mentions unbranded.
    ours.delete()
    assert Mention.objects.get(pk=before["mentions"][0]).brand is None


def test_permissions_their_holders_and_beats_schedule_follow_the_models_to_the_new_app(migrator):
    before = _fill_as_before(_old_apps())
    _migrate_forward()

    for model, pk in before["types"].items():
        ct = ContentType.objects.get(pk=pk)
        assert (ct.app_label, ct.model) == ("reputation", model)
    assert ContentType.objects.get_for_model(Mention).pk == before["types"]["mention"]
    assert not ContentType.objects.filter(app_label="monitoring", model__in=MODELS).exists()
    answer = Permission.objects.get(pk=before["permission"])
    assert answer.content_type.app_label == "reputation" and answer.codename == "change_mention"
    assert answer.group_set.filter(pk=before["group"]).exists()
    assert get_user_model().objects.get(pk=before["user"]).has_perm("reputation.change_mention")

    # Beat's rows name the new tasks, which workers know.
    tasks = dict(
        PeriodicTask.objects.filter(name__in=["reputation-poll-feeds", "spikes by hand"]).values_list("name", "task")
    )
    assert tasks == {
        "reputation-poll-feeds": "reputation.tasks.poll_feeds",
        "spikes by hand": "reputation.tasks.detect_spikes",
    }
    assert not PeriodicTask.objects.filter(task__startswith="monitoring.reputation.").exists()
    assert {"reputation.tasks.poll_feeds", "reputation.tasks.detect_spikes"} <= set(celery_app.tasks)


def test_going_back_returns_the_old_names_and_keeps_the_rows(migrator):
    before = _fill_as_before(_old_apps())
    _migrate_forward()
    old = _old_apps()

    assert old.get_model("monitoring", "Mention").objects.filter(pk__in=before["mentions"]).count() == 2
    ContentType_ = old.get_model("contenttypes", "ContentType")
    assert ContentType_.objects.get(pk=before["types"]["mention"]).app_label == "monitoring"
    Task_ = old.get_model("django_celery_beat", "PeriodicTask")
    assert Task_.objects.get(name="spikes by hand").task == "monitoring.reputation.tasks.detect_spikes"
