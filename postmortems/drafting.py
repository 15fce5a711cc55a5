"""What a new post-mortem says before anyone opens it: read from the incident's record, no I/O beyond queries.

Impact figures are seconds (JSON numbers) so the page, the API and the export format them alike:

- duration: started_at to resolved_at.
- time_to_detect: from the first sign of trouble (started_at, or an earlier alert's starts_at)
  to the incident being declared (its first timeline event).
- time_to_acknowledge, time_to_resolve: from started_at (Incident.time_to_acknowledge, time_to_resolve).
- components: each affected component's time in its status, when the record shows it (no
  component change during the incident); otherwise left out, with a note saying why.

Figures the other apps recorded, asked for through incidents.signals (postmortems.evidence, each
a fixed number of aggregate queries however big the incident):

- detected_by, first_sign_at: what opened the incident and the first sign of trouble it saw; a
  monitor's first failing check of the run that confirmed it down, an alert's startsAt, a
  reputation spike's first hour, or "declared by a person". time_to_detect runs from the earliest
  sign (the incident's start, an attached alert or the opening monitor's first failing check) to
  the declaration.
- notifications: who the public updates reached and what became of each outbox row.
- mentions: the reputation mentions linked to the incident, and how many were negative.
"""

from incidents.models import Incident, IncidentEvent

from . import evidence

# Timeline rows that changed the affected components after the incident was declared.
COMPONENT_CHANGES = {IncidentEvent.Kind.COMPONENTS, IncidentEvent.Kind.MERGED}

PROMPTS = {
    "trigger": "_What set the outage off: a deploy, a configuration change, a traffic pattern, a dependency?_",
    "root_cause": "_The underlying reason the trigger could cause an outage. Describe systems, not people._",
    "contributing_factors": "- _What made it worse, longer or harder to see?_",
    "resolution": "_What stopped the impact, and what restored full service?_",
    "went_well": "- ",
    "went_poorly": "- ",
    "got_lucky": "- _What could have made this much worse, and didn't?_",
    "lessons_learned": "- ",
}


def seconds(delta) -> int | None:
    return None if delta is None else max(0, round(delta.total_seconds()))


def _component_figures(incident: Incident, events: list[IncidentEvent], duration: int | None) -> tuple[list, str]:
    affected = list(incident.affected.select_related("component"))
    if not affected:
        return [], ""
    if duration is None:
        return [], "The incident is not resolved: component times are not final."
    if any(e.kind in COMPONENT_CHANGES for e in events):
        return [], (
            "The affected components changed during the incident; the timeline does not record "
            "when each status began, so their times per status are left out."
        )
    rows = [
        {
            "component": ic.component.name,
            "status": ic.status,
            "status_label": ic.get_status_display(),
            "seconds": duration,
        }
        for ic in affected
    ]
    return rows, ""


def impact_figures(incident: Incident) -> dict:
    events = list(incident.events.all())
    declared = next((e for e in events if e.kind == IncidentEvent.Kind.DECLARED), None)
    declared_at = declared.created_at if declared else incident.started_at
    detected = evidence.detected_by(incident, events)
    duration = seconds(incident.time_to_resolve)
    components, note = _component_figures(incident, events, duration)
    return {
        "started_at": incident.started_at.isoformat(),
        "detected_at": declared_at.isoformat(),
        "resolved_at": incident.resolved_at.isoformat() if incident.resolved_at else None,
        "detection_source": incident.get_source_display(),
        "detected_by": detected.text,
        "first_sign_at": detected.first_sign_at.isoformat(),
        "duration": duration,
        "time_to_detect": seconds(declared_at - detected.first_sign_at),
        "time_to_acknowledge": seconds(incident.time_to_acknowledge),
        "time_to_resolve": duration,
        "components": components,
        "components_note": note,
        **evidence.recorded_figures(incident),  # "notifications" (comms), "mentions" (reputation)
    }


def format_seconds(value) -> str:
    """1h 05m 03s, 12m 00s, 45s; "—" for unknown."""
    if value is None or value == "":
        return "—"
    value = int(value)
    hours, rest = divmod(value, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h {minutes:02d}m {secs:02d}s"
    if minutes:
        return f"{minutes}m {secs:02d}s"
    return f"{secs}s"


def summary_line(incident: Incident, impact: dict) -> str:
    components = ", ".join(row["component"] for row in impact["components"]) or ", ".join(
        c.name for c in incident.components.all()
    )
    line = (
        f"{incident.get_severity_display()} ({incident.get_impact_display().lower()} impact): {incident.title}. "
        f"Lasted {format_seconds(impact['duration'])}, {_detection_phrase(impact)}"
    )
    line += f", affecting {components}." if components else "."
    return f"{line}\n\n{incident.summary}".strip()


def _detection_phrase(impact: dict) -> str:
    """ "detected by monitor “API health”", "declared by a person (ann)"; drafts made before
    postmortems.evidence have only the incident's source."""
    text = impact.get("detected_by")
    if not text:
        return f"detected by {impact['detection_source'].lower()} source"
    text = text[0].lower() + text[1:]
    return text if text.startswith("declared by") else f"detected by {text}"


def timeline_rows(incident: Incident) -> list[dict]:
    """The incident's events as timeline rows: what happened, when, and whether it was public."""
    rows = []
    for event in incident.events.all():
        text = event.message or event.get_kind_display()
        if event.actor_label and event.kind not in (IncidentEvent.Kind.UPDATE,):
            text = f"{text} ({event.actor_label})"
        rows.append({"at": event.created_at, "text": text, "public": event.public, "event": event})
    return rows


def sections(incident: Incident) -> dict[str, str]:
    resolved = incident.events.filter(kind=IncidentEvent.Kind.RESOLVED).last()
    texts = dict(PROMPTS)
    if resolved and resolved.message:
        texts["resolution"] = f"{resolved.message}\n\n{PROMPTS['resolution']}"
    return texts


def five_whys(incident: Incident) -> list[dict]:
    first = {"why": f"Why did “{incident.title}” happen?", "because": ""}
    return [first] + [{"why": "Why?", "because": ""} for _ in range(4)]
