"""Actions on DR plans, drills and incident checklists. The dashboard and the API call these, and only these.

Each do_* function checks the move is allowed, writes the change in one transaction,
records the audit entry, and announces itself after commit (dr_plans.signals).
"""

from .checklists import do_attach_plan, do_tick_item
from .common import ActionError, PermissionDenied
from .config import do_add_vendor, do_delete_config, do_save_config, do_save_serialized
from .drills import do_cancel_drill, do_finish_drill, do_finish_step, do_schedule_drill, do_start_drill, do_start_step
from .findings import do_file_finding, drill_action_items, unfiled_findings
from .plans import (
    can_approve,
    can_review,
    do_approve,
    do_create_plan,
    do_delete_plan,
    do_delete_step,
    do_move,
    do_record_review,
    do_reopen,
    do_request_review,
    do_retire,
    do_save_step,
    do_submit,
    do_update_plan,
    open_review_requests,
    send_review_reminders,
)

__all__ = [
    "ActionError",
    "PermissionDenied",
    "can_approve",
    "can_review",
    "do_add_vendor",
    "do_approve",
    "do_attach_plan",
    "do_cancel_drill",
    "do_create_plan",
    "do_delete_config",
    "do_delete_plan",
    "do_delete_step",
    "do_file_finding",
    "do_finish_drill",
    "do_finish_step",
    "do_move",
    "do_record_review",
    "do_reopen",
    "do_request_review",
    "do_retire",
    "do_save_config",
    "do_save_serialized",
    "do_save_step",
    "do_schedule_drill",
    "do_start_drill",
    "do_start_step",
    "do_submit",
    "do_tick_item",
    "do_update_plan",
    "drill_action_items",
    "open_review_requests",
    "send_review_reminders",
    "unfiled_findings",
]
