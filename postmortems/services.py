"""Actions on action items. The dashboard, the API and other apps (a DR drill's findings) call these, and only these.

Each do_* function checks the change is allowed, writes it in one transaction, records
the audit entry, and announces it after commit (postmortems.signals).
"""

from django.db import transaction
from django.utils import timezone

from vigil.audit import Actor, record

from . import links, signals
from .models import ActionItem

# "Not given" for an update, as distinct from None ("remove the link").
UNSET = object()


class ActionError(Exception):
    """The change is not allowed in the item's present state. The message says why."""


def _check_link(role: links.Links, obj) -> None:
    if obj is not None and not role.accepts(obj):
        raise ActionError(f"An action item cannot name {obj} as its {role.role}.")


def _set_status(item: ActionItem, status: str) -> None:
    """Move to STATUS by the transition table; completing stamps completed_at, reopening clears it."""
    if status == item.status:
        return
    if not item.can_move_to(status):
        raise ActionError(
            f"An action item cannot move from {item.get_status_display().lower()} to "
            f"{ActionItem.Status(status).label.lower()}."
        )
    item.status = status
    item.completed_at = timezone.now() if status == ActionItem.Status.DONE else None


def _announce(item: ActionItem, actor: Actor, created: bool, changed: list[str]) -> None:
    transaction.on_commit(
        lambda: signals.action_item_saved.send(
            sender=ActionItem, item=item, created=created, changed=changed, actor=actor
        )
    )


@transaction.atomic
def do_create_action_item(
    actor: Actor, *, title: str, source=None, target=None, status: str = ActionItem.Status.OPEN, **fields
) -> ActionItem:
    """File an item. SOURCE is what raised it (a drill), TARGET what it changes (a DR plan)."""
    _check_link(links.sources, source)
    _check_link(links.targets, target)
    item = ActionItem(title=title.strip(), created_by=actor.user, source=source, target=target, **fields)
    _set_status(item, status)  # from open, every status is allowed
    item.save()
    record(actor, "action_item.create", item, source=str(source or ""), changes=str(target or ""))
    _announce(item, actor, created=True, changed=["target"] if target is not None else [])
    return item


@transaction.atomic
def do_update_action_item(actor: Actor, item: ActionItem, *, target=UNSET, status=UNSET, **fields) -> ActionItem:
    """Change an item's fields; a status change follows ACTION_ITEM_TRANSITIONS. The source never changes."""
    item = ActionItem.objects.select_for_update().get(pk=item.pk)
    changed = [name for name, value in fields.items() if getattr(item, name) != value]
    for name, value in fields.items():
        setattr(item, name, value)
    if status is not UNSET and status != item.status:
        _set_status(item, status)
        changed.append("status")
    if target is not UNSET and target != item.target:
        _check_link(links.targets, target)
        item.target = target
        changed.append("target")
    item.save()
    record(actor, "action_item.update", item, fields=sorted(changed))
    _announce(item, actor, created=False, changed=changed)
    return item


@transaction.atomic
def do_delete_action_item(actor: Actor, item: ActionItem) -> None:
    record(actor, "action_item.delete", item)
    item.delete()
