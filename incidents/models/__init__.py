"""The incidents app's models, one concept a module (split before a file passes ~500 lines), re-exported here."""

from .alerts import Alert, Integration
from .changes import ChangeEvent
from .components import STATUS_SEVERITY, Component, ComponentGroup, ComponentStatus
from .escalation import EscalationLevel, EscalationPolicy, Page
from .incidents import (
    PUBLIC_STATUS,
    TRANSITIONS,
    Impact,
    Incident,
    IncidentComponent,
    IncidentEvent,
    IncidentUpdate,
    PublicStatus,
    Severity,
    SeverityDefinition,
    Source,
    Status,
    worst_status,
)
from .oncall import Override, PersonalFeed, Rotation, RotationMember, Schedule, SwapRequest
from .teams import Team

__all__ = [
    "PUBLIC_STATUS",
    "STATUS_SEVERITY",
    "TRANSITIONS",
    "Alert",
    "ChangeEvent",
    "Component",
    "ComponentGroup",
    "ComponentStatus",
    "EscalationLevel",
    "EscalationPolicy",
    "Impact",
    "Incident",
    "IncidentComponent",
    "IncidentEvent",
    "IncidentUpdate",
    "Integration",
    "Override",
    "Page",
    "PersonalFeed",
    "PublicStatus",
    "Rotation",
    "RotationMember",
    "Schedule",
    "Severity",
    "SeverityDefinition",
    "Source",
    "Status",
    "SwapRequest",
    "Team",
    "worst_status",
]
