"""Plans as Markdown: for diffs, downloads, and the offline copy kept for the day Vigil is down."""

from itertools import groupby
from pathlib import Path

from django.utils import timezone
from django.utils.text import slugify

from .models import DRPlan, PlanVersion


def version_markdown(snapshot: dict) -> str:
    """The plan itself as approved: what the diff compares and the export starts with."""
    lines = [
        f"# {snapshot['name']}",
        "",
        f"- RTO: {snapshot['rto_minutes']} minutes",
        f"- RPO: {snapshot['rpo_minutes']} minutes",
        f"- Owner: {snapshot.get('owner') or '—'}",
        f"- Components: {', '.join(snapshot.get('components', [])) or '—'}",
        f"- Review every {snapshot['review_every_days']} days",
        "",
    ]
    if snapshot.get("description"):
        lines += [snapshot["description"].strip(), ""]
    number = 0
    for section, steps in groupby(snapshot.get("steps", []), key=lambda s: s["section"]):
        lines += [f"## {section or 'Steps'}", ""]
        for step in steps:
            number += 1
            lines += _step_lines(number, step)
    return "\n".join(lines).rstrip() + "\n"


def _step_lines(number: int, step: dict) -> list[str]:
    meta = [f"about {step['expected_minutes']} min"]
    if step.get("owner_role"):
        meta.insert(0, step["owner_role"])
    lines = [f"### {number}. {step['title']}", "", f"*{' · '.join(meta)}*", ""]
    if step.get("instructions"):
        lines += [step["instructions"].strip(), ""]
    if step.get("command"):
        lines += ["```", step["command"].rstrip(), "```", ""]
    if step.get("link"):
        lines += [f"<{step['link']}>", ""]
    return lines


def _as_stored(stakeholder, field: str) -> str:
    return getattr(stakeholder, field)


def _contacts_lines(plan: DRPlan, shown=_as_stored) -> list[str]:
    """SHOWN(stakeholder, field): a phone or email as the reader may see it (vigil.privacy masks them for viewers)."""
    lines = ["## Call tree", ""]
    for level in plan.call_tree.prefetch_related("people"):
        people = "; ".join(f"{p.name} {shown(p, 'phone')} {shown(p, 'email')}".strip() for p in level.people.all())
        lines.append(f"{level.position + 1}. {people} — next level after {level.escalate_after_minutes} min")
        if level.when:
            lines.append(f"   Also move on when: {level.when}")
    lines += ["", "## Vendors", ""]
    for vendor in plan.vendors.select_related("stakeholder"):
        s = vendor.stakeholder
        lines.append(f"- **{vendor}**: {s.name}, {shown(s, 'phone') or '—'}, {shown(s, 'email') or '—'}")
        for label, value in (("Account", vendor.account_number), ("SLA", vendor.sla)):
            if value:
                lines.append(f"  - {label}: {value}")
        if vendor.escalation_path:
            lines.append(f"  - Escalation: {' / '.join(vendor.escalation_path.splitlines())}")
    return [*lines, ""]


def _backups_lines(plan: DRPlan) -> list[str]:
    lines = ["## Backups", ""]
    for b in plan.backups.all():
        lines.append(
            f"- {b.system}: {b.contents} — {b.method}, every {b.frequency_minutes} min, kept {b.retention_days} days, "
            f"at {b.location}"
        )
    return [*lines, ""]


def plan_markdown(plan: DRPlan, version: PlanVersion, shown=_as_stored) -> str:
    """The whole offline copy: the approved version, then today's contacts (through SHOWN) and backups."""
    header = [
        f"<!-- Exported from Vigil {timezone.now():%Y-%m-%d %H:%M} UTC. Version {version.number}, "
        f"approved {version.approved_at:%Y-%m-%d} by {version.approved_by_label or '—'}. -->",
        "",
    ]
    body = version_markdown(version.snapshot)
    extra = _contacts_lines(plan, shown) + _backups_lines(plan)
    return "\n".join(header) + body + "\n" + "\n".join(extra).rstrip() + "\n"


def approved_plans():
    """Every plan in force with an approved version, and that version."""
    for plan in DRPlan.objects.exclude(status=DRPlan.Status.RETIRED):
        version = plan.latest_version()
        if version is not None:
            yield plan, version


def filename(plan: DRPlan) -> str:
    return f"{slugify(plan.name) or f'plan-{plan.pk}'}.md"


def export_all(directory: Path) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for plan, version in approved_plans():
        path = directory / filename(plan)
        path.write_text(plan_markdown(plan, version), encoding="utf-8")
        written.append(path)
    return written
