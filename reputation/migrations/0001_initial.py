"""Reputation watch becomes an app of its own (issue #16): its four models, in Django's state only.

Their tables were made by monitoring/migrations/0004_reputation.py and keep their names
(monitoring_brand, monitoring_mentionsource, monitoring_mention, monitoring_mentionspike: each
model's db_table), so nothing is created, copied or dropped: the operations below describe the
tables as they are, and monitoring/migrations/0008_reputation_moved_out.py takes the same models
out of monitoring's state. Reversed, only the state goes back; the rows stay where they always were.
"""

import django.core.validators
import django.db.models.deletion
import django.utils.timezone
import reputation.models
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        # The tables, as monitoring made them; and every monitoring migration before the move.
        ("monitoring", "0007_replicas_of_shared_components"),
        ("incidents", "0001_initial"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    state_operations = [
        migrations.CreateModel(
            name="Brand",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("name", models.CharField(max_length=100, unique=True)),
                (
                    "ours",
                    models.BooleanField(default=False, help_text="Our own brand; every other brand is a competitor."),
                ),
                (
                    "keywords",
                    models.TextField(
                        blank=True,
                        help_text="Comma-separated words or phrases. A mention from an untagged source that names one of a competitor's keywords (and none of ours) is that competitor's.",
                    ),
                ),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
            ],
            options={
                "db_table": "monitoring_brand",
                "ordering": ["-ours", "name"],
                "constraints": [
                    models.UniqueConstraint(
                        condition=models.Q(("ours", True)),
                        fields=("ours",),
                        name="brand_one_of_ours",
                        violation_error_message="Another brand is already ours.",
                    )
                ],
            },
        ),
        migrations.CreateModel(
            name="MentionSource",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("name", models.CharField(max_length=100)),
                (
                    "kind",
                    models.CharField(
                        choices=[("feed", "RSS/Atom feed"), ("webhook", "Webhook"), ("manual", "Manual entry")],
                        default="feed",
                        max_length=8,
                    ),
                ),
                ("url", models.URLField(blank=True, help_text="The feed's URL (feeds only).", max_length=2000)),
                ("secret", models.CharField(default=reputation.models.new_secret, editable=False, max_length=64)),
                ("enabled", models.BooleanField(default=True)),
                (
                    "poll_interval_seconds",
                    models.PositiveIntegerField(
                        default=300,
                        help_text="Feeds: poll this often.",
                        validators=[
                            django.core.validators.MinValueValidator(60),
                            django.core.validators.MaxValueValidator(86400),
                        ],
                    ),
                ),
                ("etag", models.CharField(blank=True, editable=False, max_length=500)),
                ("last_modified", models.CharField(blank=True, editable=False, max_length=100)),
                ("next_poll_at", models.DateTimeField(blank=True, editable=False, null=True)),
                ("last_polled_at", models.DateTimeField(blank=True, editable=False, null=True)),
                ("last_imported_at", models.DateTimeField(blank=True, editable=False, null=True)),
                (
                    "last_status",
                    models.CharField(
                        blank=True,
                        choices=[("imported", "Imported"), ("not_modified", "Not modified"), ("failed", "Failed")],
                        editable=False,
                        max_length=12,
                    ),
                ),
                ("last_error", models.CharField(blank=True, editable=False, max_length=500)),
                (
                    "failures",
                    models.PositiveIntegerField(default=0, editable=False, help_text="Failed polls in a row."),
                ),
                ("last_received_at", models.DateTimeField(blank=True, editable=False, null=True)),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                (
                    "brand",
                    models.ForeignKey(
                        blank=True,
                        help_text="Every mention from this source is this brand's. Empty: ours, unless a competitor's keywords match.",
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="sources",
                        to="reputation.brand",
                    ),
                ),
                (
                    "created_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "db_table": "monitoring_mentionsource",
                "ordering": ["name", "id"],
            },
        ),
        migrations.CreateModel(
            name="Mention",
            fields=[
                ("id", models.BigAutoField(primary_key=True, serialize=False)),
                (
                    "platform",
                    models.CharField(
                        blank=True, help_text="Where it was posted, e.g. reddit, trustpilot.", max_length=50
                    ),
                ),
                (
                    "external_id",
                    models.CharField(blank=True, help_text="Its id at the source (a feed entry's id).", max_length=300),
                ),
                ("url", models.URLField(blank=True, max_length=1000)),
                ("author", models.CharField(blank=True, max_length=200)),
                ("text", models.TextField()),
                ("published_at", models.DateTimeField()),
                ("received_at", models.DateTimeField(default=django.utils.timezone.now)),
                ("sentiment", models.FloatField(help_text="VADER's compound score, from -1 (most negative) to 1.")),
                (
                    "label",
                    models.CharField(
                        choices=[("negative", "Negative"), ("neutral", "Neutral"), ("positive", "Positive")],
                        max_length=8,
                    ),
                ),
                ("linked_automatically", models.BooleanField(default=False)),
                (
                    "state",
                    models.CharField(
                        choices=[
                            ("new", "New"),
                            ("needs_response", "Needs response"),
                            ("responded", "Responded"),
                            ("ignored", "Ignored"),
                        ],
                        default="new",
                        max_length=16,
                    ),
                ),
                ("state_changed_at", models.DateTimeField(blank=True, null=True)),
                ("response", models.TextField(blank=True)),
                ("responded_at", models.DateTimeField(blank=True, null=True)),
                (
                    "brand",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="mentions",
                        to="reputation.brand",
                    ),
                ),
                (
                    "incident",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to="incidents.incident",
                    ),
                ),
                (
                    "responded_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "source",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="mentions",
                        to="reputation.mentionsource",
                    ),
                ),
            ],
            options={
                "db_table": "monitoring_mention",
                "ordering": ["-published_at", "-id"],
            },
        ),
        migrations.CreateModel(
            name="MentionSpike",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("started_at", models.DateTimeField(help_text="The first hour of the spike (UTC).", unique=True)),
                ("last_hour_at", models.DateTimeField(help_text="The latest hour found spiking.")),
                (
                    "reason",
                    models.CharField(choices=[("volume", "Volume"), ("negative", "Negative share")], max_length=8),
                ),
                ("mentions", models.PositiveIntegerField(help_text="Mentions in the busiest hour.")),
                ("negative", models.PositiveIntegerField(help_text="Negative mentions in that hour.")),
                ("baseline_mean", models.FloatField(help_text="Mean mentions an hour over the baseline window.")),
                ("baseline_stddev", models.FloatField()),
                ("baseline_negative_share", models.FloatField()),
                ("threshold", models.FloatField(help_text="The volume an hour had to reach.")),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                (
                    "incident",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to="incidents.incident",
                    ),
                ),
            ],
            options={
                "db_table": "monitoring_mentionspike",
                "ordering": ["-started_at"],
            },
        ),
        migrations.AddIndex(
            model_name="mentionsource",
            index=models.Index(
                condition=models.Q(("enabled", True), ("kind", "feed")),
                fields=["next_poll_at"],
                name="mentionsource_due_idx",
            ),
        ),
        migrations.AddIndex(
            model_name="mention",
            index=models.Index(fields=["published_at"], name="mention_time_idx"),
        ),
        migrations.AddIndex(
            model_name="mention",
            index=models.Index(fields=["state", "published_at"], name="mention_state_time_idx"),
        ),
        migrations.AddConstraint(
            model_name="mention",
            constraint=models.UniqueConstraint(
                condition=models.Q(("url", ""), _negated=True), fields=("url",), name="mention_once_per_url"
            ),
        ),
        migrations.AddConstraint(
            model_name="mention",
            constraint=models.UniqueConstraint(
                condition=models.Q(("external_id", ""), _negated=True),
                fields=("source", "external_id"),
                name="mention_once_per_source_id",
            ),
        ),
        migrations.AddConstraint(
            model_name="mention",
            constraint=models.CheckConstraint(
                condition=models.Q(("sentiment__gte", -1), ("sentiment__lte", 1)), name="mention_sentiment_in_range"
            ),
        ),
    ]

    operations = [migrations.SeparateDatabaseAndState(state_operations=state_operations)]
