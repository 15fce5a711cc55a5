"""A post-mortem as one Markdown document: the download, and what an archive or a wiki keeps."""

from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.text import slugify

from .drafting import format_seconds
from .models import PostMortem

FIGURES = [
    ("Duration", "duration"),
    ("Time to detect", "time_to_detect"),
    ("Time to acknowledge", "time_to_acknowledge"),
    ("Time to resolve", "time_to_resolve"),
]


def _when(value) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M:%S %Z")


def _impact(postmortem: PostMortem) -> list[str]:
    impact = postmortem.impact or {}
    lines = ["## Impact", "", "| Figure | Value |", "| --- | --- |"]
    lines += [f"| {label} | {format_seconds(impact.get(key))} |" for label, key in FIGURES]
    lines.append(f"| Detected by | {impact.get('detected_by') or impact.get('detection_source', '—')} |")
    if impact.get("first_sign_at"):
        lines.append(f"| First sign of trouble | {_when(parse_datetime(impact['first_sign_at']))} |")
    for row in impact.get("components", []):
        lines.append(f"| {row['component']}: {row['status_label']} | {format_seconds(row['seconds'])} |")
    lines += _reach(impact)
    if impact.get("components_note"):
        lines += ["", f"_{impact['components_note']}_"]
    return [*lines, ""]


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")


def _reach(impact: dict) -> list[str]:
    """Table rows for the public updates' outbox figures and the linked mentions (when drafted with them)."""
    lines = []
    if n := impact.get("notifications"):
        lines.append(
            f"| Public updates | {n['updates']}, to {_plural(n['stakeholders'], 'stakeholder')}, "
            f"{_plural(n['subscribers'], 'subscriber')} and {_plural(n['endpoints'], 'endpoint')} |"
        )
        extra = "".join(
            f", {n[key]} {label}" for key, label in [("pending", "pending"), ("cancelled", "cancelled")] if n[key]
        )
        bounced = f" ({n['bounced']} bounced)" if n["bounced"] else ""
        lines.append(
            f"| Messages | {n['messages']}: {n['sent']} sent, {n['delivered']} delivered, "
            f"{n['failed']} failed{bounced}{extra} |"
        )
    if m := impact.get("mentions"):
        lines.append(f"| Mentions linked | {m['total']}: {m['negative']} negative, {m['responded']} answered |")
    return lines


def _timeline(postmortem: PostMortem) -> list[str]:
    lines = ["## Timeline", ""]
    for entry in postmortem.timeline.all():
        marker = "" if entry.public else " _(internal)_"
        lines.append(f"- **{_when(entry.at)}** {entry.text}{marker}")
    return [*lines, ""]


def _five_whys(postmortem: PostMortem) -> list[str]:
    lines = ["## Five whys", ""]
    for number, pair in enumerate(postmortem.five_whys, start=1):
        lines.append(f"{number}. **{pair.get('why', '')}** {pair.get('because', '')}".rstrip())
    return [*lines, ""]


def postmortem_markdown(postmortem: PostMortem) -> str:
    incident = postmortem.incident
    lines = [
        f"# {postmortem.title}",
        "",
        f"Incident #{incident.pk} ({incident.get_severity_display()}) · {postmortem.get_status_display()}"
        + (f" · published {_when(postmortem.published_at)}" if postmortem.published_at else ""),
        "",
        "## Summary",
        "",
        postmortem.summary,
        "",
    ]
    if postmortem.public_summary:
        lines += ["## Public summary", "", postmortem.public_summary, ""]
    lines += _impact(postmortem) + _timeline(postmortem)
    for _, heading, text in postmortem.sections():
        lines += [f"## {heading}", "", text, ""]
        if heading == "Where we got lucky":
            lines += _five_whys(postmortem)
    reviews = list(postmortem.reviews.select_related("reviewer"))
    if reviews:
        lines += ["## Reviewers", ""]
        lines += [
            f"- {r.reviewer.get_username()}: " + (f"signed off {_when(r.signed_at)}" if r.signed_at else "not signed")
            for r in reviews
        ]
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def filename(postmortem: PostMortem) -> str:
    return f"postmortem-{postmortem.incident_id}-{slugify(postmortem.title)[:50] or 'untitled'}.md"
