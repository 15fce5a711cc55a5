"""The comms app's models, one concept a module (split before a file passes ~500 lines), re-exported here."""

from .cadence import UpdateReminder
from .outbox import STATE_TRANSITIONS, Endpoint, Fanout, Notification, State
from .paging import Contact, NotificationRule, PageMedium
from .push import PushSubscription, VapidKey
from .stakeholders import IncidentAudience, Medium, Stakeholder, StakeholderGroup
from .status import MaintenanceStatus, MaintenanceUpdate, ScheduledMaintenance, StatusPageBranding  # noqa: F401
from .subscribers import MaintenanceNotice, Subscriber
from .templates import Event, MessageTemplate, Part

__all__ = [
    "STATE_TRANSITIONS",
    "Contact",
    "Endpoint",
    "Event",
    "Fanout",
    "IncidentAudience",
    "MaintenanceNotice",
    "Medium",
    "MessageTemplate",
    "Notification",
    "NotificationRule",
    "PageMedium",
    "Part",
    "PushSubscription",
    "Stakeholder",
    "StakeholderGroup",
    "State",
    "Subscriber",
    "UpdateReminder",
    "VapidKey",
]
