"""Demo data for `manage.py seed_demo`: Vigil's own DR plan and an example plan. Idempotent."""

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from incidents.models import Component
from vigil.audit import SYSTEM

from . import services
from .models import Backup, DRPlan

VIGIL_PLAN = "Vigil itself"
VIGIL_STEPS = [
    ("Assess", "Decide to restore", 5, "", "Confirm the database is lost or corrupt (not just unreachable). "
     "Declare the outage on the team's fallback channel: Vigil cannot page while it is down."),
    ("Assess", "Stop Vigil's processes", 2, "honcho stop  # or: systemctl stop vigil-web vigil-worker vigil-beat",
     "Stop **web, worker and beat** so nothing writes during the restore."),
    ("Restore", "Fetch the latest backup", 10, "", "Copy the newest file made by `manage.py backup` from the "
     "backup location to this machine. Check its size is not zero."),
    ("Restore", "Restore the database", 15, "python manage.py restore /var/backups/vigil/latest.dump --yes",
     "On PostgreSQL this runs `pg_restore --clean`; on SQLite it copies the backup into the live file."),
    ("Restore", "Apply migrations", 2, "python manage.py migrate",
     "A backup from an older release needs its migrations."),
    ("Verify", "Start Vigil and check health", 5, "honcho start", "Open `/healthz`, then the dashboard: the latest "
     "incidents and monitors must be there. The System page must show a live worker."),
    ("Verify", "Tell the team", 2, "",
     "Post that Vigil is back, and the time of the backup restored (the data-loss window)."),
]  # fmt: skip

DB_PLAN = "Primary database lost"
DB_STEPS = [
    ("Assess", "Confirm the primary is gone", 5, "", "Check the cloud console and the replica's lag."),
    ("Fail over", "Promote the replica", 10, "pg_ctl promote -D /var/lib/postgresql/15/main",
     "Promote the hot standby."),
    ("Fail over", "Point the app at the new primary", 5, "", "Update `DATABASE_URL` and restart the app servers."),
    ("Verify", "Run the smoke tests", 10, "make smoke", "Checkout and login must pass."),
]  # fmt: skip


def _plan(name: str, steps, **fields) -> DRPlan | None:
    if DRPlan.objects.filter(name=name).exists():
        return None
    plan = services.do_create_plan(SYSTEM, name=name, **fields)
    for section, title, minutes, command, instructions in steps:
        services.do_save_step(
            SYSTEM, plan, section=section, title=title, expected_minutes=minutes, command=command,
            instructions=instructions,
        )  # fmt: skip
    services.do_submit(SYSTEM, plan)
    services.do_approve(SYSTEM, plan, note="Loaded by seed_demo.")
    return plan


@transaction.atomic
def seed() -> None:
    now = timezone.now()
    vigil = _plan(
        VIGIL_PLAN,
        VIGIL_STEPS,
        description="Recover Vigil from its own backups (`manage.py backup` / `manage.py restore`). "
        "Keep the Markdown export of this plan outside Vigil: `manage.py export_dr_plans DIR`.",
        rto_minutes=60,
        rpo_minutes=24 * 60,
        review_every_days=180,
    )
    if vigil is not None:
        backup = Backup.objects.create(
            system="Vigil database", contents="Every table (incidents, monitors, plans, audit log)",
            method="manage.py backup (cron, nightly)", frequency_minutes=24 * 60, retention_days=30,
            location="/var/backups/vigil (copied off-site)", last_success_at=now - timedelta(hours=6),
            last_restore_verified_at=now - timedelta(days=20), last_restore_minutes=12,
        )  # fmt: skip
        backup.plans.add(vigil)
    db = _plan(DB_PLAN, DB_STEPS, rto_minutes=30, rpo_minutes=5, review_every_days=90)
    if db is not None:
        db.components.set(Component.objects.filter(name="Database"))
        backup = Backup.objects.create(
            system="Primary PostgreSQL", contents="Customer and order data", method="Nightly pg_dump",
            frequency_minutes=24 * 60, retention_days=14, location="s3://example-backups/db",
            last_success_at=now - timedelta(hours=3),
        )  # fmt: skip
        # Nightly dumps cannot meet a 5-minute RPO, and no restore was ever verified: both flagged.
        backup.plans.add(db)
