"""The DR-plans app's models, one concept a module (split before a file passes ~500 lines), re-exported here."""

from .backups import Backup
from .checklists import ChecklistItem, IncidentChecklist
from .contacts import CallTreeLevel, Vendor
from .drills import Drill, DrillStep
from .plans import TRANSITIONS, DRPlan, PlanReview, PlanVersion, ReviewReminder, ReviewRequest, Step

__all__ = [
    "TRANSITIONS",
    "Backup",
    "CallTreeLevel",
    "ChecklistItem",
    "DRPlan",
    "Drill",
    "DrillStep",
    "IncidentChecklist",
    "PlanReview",
    "PlanVersion",
    "ReviewReminder",
    "ReviewRequest",
    "Step",
    "Vendor",
]
