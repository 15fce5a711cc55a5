"""The comms app's models, one concept a module (STYLE.md), re-exported here."""

from .outbox import STATE_TRANSITIONS, Endpoint, Fanout, Notification, State
from .paging import Contact, NotificationRule
from .stakeholders import IncidentAudience, Medium, Stakeholder, StakeholderGroup

__all__ = [
    "STATE_TRANSITIONS",
    "Contact",
    "Endpoint",
    "Fanout",
    "IncidentAudience",
    "Medium",
    "Notification",
    "NotificationRule",
    "Stakeholder",
    "StakeholderGroup",
    "State",
]
