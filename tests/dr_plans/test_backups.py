"""Backups are held to the RPO of the plans that rely on them, and to a recent verified restore."""

from datetime import timedelta

import pytest
from django.utils import timezone

from dr_plans.models import Backup


@pytest.fixture
def nightly(plan):
    now = timezone.now()
    backup = Backup.objects.create(
        system="Primary PostgreSQL",
        contents="Orders",
        method="pg_dump",
        frequency_minutes=24 * 60,
        retention_days=14,
        location="s3://backups/db",
        last_success_at=now - timedelta(hours=2),
        last_restore_verified_at=now - timedelta(days=10),
        last_restore_minutes=18,
    )
    backup.plans.add(plan)
    return backup


def test_a_backup_less_frequent_than_the_rpo_is_flagged(nightly, plan):
    assert plan.rpo_minutes == 5
    assert nightly.plans_missed() == [plan]
    nightly.frequency_minutes = 5
    assert nightly.plans_missed() == []
    nightly.frequency_minutes = 6
    assert nightly.misses_rpo(5)


def test_a_restore_not_verified_within_the_limit_is_stale(nightly):
    now = timezone.now()
    assert not nightly.restore_is_stale(now, max_age_days=30)
    assert nightly.restore_is_stale(now, max_age_days=9)
    nightly.last_restore_verified_at = None
    assert nightly.restore_is_stale(now, max_age_days=365)


def test_a_missed_run_is_flagged(nightly):
    now = timezone.now()
    assert not nightly.is_late(now)
    assert nightly.is_late(now + timedelta(days=2))


def test_the_dashboard_and_inventory_show_the_flags(nightly, settings, web_clients):
    settings.VIGIL_DR_RESTORE_MAX_AGE_DAYS = 7
    for path in ("/dr-plans/", "/dr-plans/backups/"):
        body = web_clients["viewer"].get(path).content.decode()
        assert "cannot meet Primary database lost's RPO of 5 min" in body
        assert "(limit 7 days)" in body


def test_the_api_reports_the_flags(nightly, plan, api_clients, settings):
    settings.VIGIL_DR_RESTORE_MAX_AGE_DAYS = 30
    row = api_clients["viewer"].get(f"/api/v1/dr-backups/{nightly.pk}/").json()
    assert row["misses_rpo_of"] == [plan.pk]
    assert row["restore_stale"] is False
    assert row["late"] is False
