"""The comms app's models, one concept a module (split before a file passes ~500 lines), re-exported here."""

from .apprise import AppriseTarget
from .cadence import UpdateReminder
from .failover import MAYBE_SENT, DeliveryAttempt, Outcome
from .ntfy import NtfyTarget
from .outbox import STATE_TRANSITIONS, Endpoint, Fanout, Notification, State
from .paging import Contact, NotificationRule, PageMedium, Urgency
from .preferences import PagingPreferences, TestPage
from .push import PushSubscription, VapidKey
from .stakeholders import IncidentAudience, Medium, Stakeholder, StakeholderGroup
from .status import MaintenanceStatus, MaintenanceUpdate, ScheduledMaintenance, StatusPageBranding  # noqa: F401
from .subscribers import MaintenanceNotice, Subscriber
from .templates import Event, MessageTemplate, Part

__all__ = [
    "MAYBE_SENT",
    "STATE_TRANSITIONS",
    "AppriseTarget",
    "Contact",
    "DeliveryAttempt",
    "Endpoint",
    "Event",
    "Fanout",
    "IncidentAudience",
    "MaintenanceNotice",
    "Medium",
    "MessageTemplate",
    "Notification",
    "NotificationRule",
    "NtfyTarget",
    "Outcome",
    "PageMedium",
    "PagingPreferences",
    "Part",
    "PushSubscription",
    "Stakeholder",
    "StakeholderGroup",
    "State",
    "Subscriber",
    "TestPage",
    "UpdateReminder",
    "Urgency",
    "VapidKey",
]
