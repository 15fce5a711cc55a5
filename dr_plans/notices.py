"""Mail to the people a DR event concerns: plan owners (reviews due or requested) and drill participants.

They go to Vigil's own users (their account's email) through the comms outbox
(incidents.providers.email_people), so they are sent by the configured email channel (SendGrid,
SMTP or the sandbox), retried with back-off, and shown on the Outbox page like every other
message. A Celery task (dr_plans.tasks.send_notice), queued by this app's receivers after the
change commits, builds each notice from fresh rows: a drill cancelled meanwhile tells nobody.
"""

from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from incidents import providers

from .models import Drill, DRPlan, ReviewRequest


@dataclass(frozen=True)
class Notice:
    subject: str
    body: str
    to: list  # users


def _url(path: str) -> str:
    return settings.VIGIL_BASE_URL + path


def _when(moment: datetime) -> str:
    return timezone.localtime(moment).strftime("%a %d %b %Y %H:%M %Z")


def _addresses(*users) -> list:
    """The USERS who can be mailed (active, with an address), by name."""
    return sorted({u.pk: u for u in users if u is not None and u.is_active and u.email}.values(), key=str)


def _message(subject: str, body: str, to: list) -> list[Notice]:
    if not to:
        return []  # nobody with an address to tell: the dashboard still shows it
    return [Notice(f"[Vigil] {subject}", body.strip() + "\n", to)]


def _plan_people(plan: DRPlan) -> list:
    """The owner is told; a plan without an owner (or an owner without an address) tells its approver."""
    return _addresses(plan.owner) or _addresses(plan.approver)


def review_due(plan_id: int, due_at: str, overdue: bool) -> list[Notice]:
    plan = DRPlan.objects.select_related("owner", "approver").filter(pk=plan_id).first()
    if plan is None or plan.status == DRPlan.Status.RETIRED:
        return []
    due = _when(parse_datetime(due_at))
    subject = f"Review overdue: DR plan “{plan}”" if overdue else f"Review due: DR plan “{plan}”"
    state = f"was due on {due}" if overdue else f"is due on {due}"
    body = f"""
The review of the DR plan “{plan}” {state} (every {plan.review_every_days} days).

Read it through: are the steps, the call tree, the vendors and the backups still right?
Then record the review (what changed, or "no change") on the plan's page:
{_url(plan.get_absolute_url())}
"""
    return _message(subject, body, _plan_people(plan))


def review_requested(request_id: int) -> list[Notice]:
    request = ReviewRequest.objects.select_related("plan__owner", "plan__approver").filter(pk=request_id).first()
    if request is None or request.closed_at is not None:
        return []
    plan = request.plan
    origin = f"\n{_url(request.url)}\n" if request.url else ""
    body = f"""
{request.requested_by_label or "Someone"} asked for a change to the DR plan “{plan}”:

  {request.reason}
{origin}
Update the plan, then record a review or approve the new version: that answers the request.
{_url(plan.get_absolute_url())}
"""
    return _message(f"Review requested: DR plan “{plan}”", body, _plan_people(plan))


def drill_scheduled(drill_id: int) -> list[Notice]:
    drill = Drill.objects.select_related("plan").filter(pk=drill_id).first()
    if drill is None or drill.status != Drill.Status.SCHEDULED:
        return []  # cancelled or already run before the notice went out
    plan = drill.plan
    repeats = f"every {drill.repeat_every_days} days" if drill.repeat_every_days else "once"
    body = f"""
You take part in a DR drill of the plan “{plan}”.

Scenario: {drill.scenario}
When:     {_when(drill.scheduled_for)} ({repeats})
Targets:  recover within {plan.rto_minutes} min (RTO), lose at most {plan.rpo_minutes} min of data (RPO)

Read the plan beforehand; the drill's live checklist opens here:
{_url(drill.get_absolute_url())}
"""
    subject = f"DR drill scheduled: {drill.scenario} — {_when(drill.scheduled_for)}"
    return _message(subject, body, _addresses(*drill.participants.all()))


BUILDERS = {"review_due": review_due, "review_requested": review_requested, "drill_scheduled": drill_scheduled}


def send(kind: str, *args, **kwargs) -> int:
    """Build the KIND notice from fresh rows and hand it to the outbox. Returns the messages queued."""
    notices = BUILDERS[kind](*args, **kwargs)
    return sum(providers.email_people(notice.to, notice.subject, notice.body) for notice in notices)
