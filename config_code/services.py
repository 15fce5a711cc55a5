"""Config's actions outside an apply: releasing an object from config management (issue #22)."""

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import Model

from vigil import managed
from vigil.audit import Actor, record

from .models import ManagedObject


def do_release(actor: Actor, obj: Model) -> ManagedObject | None:
    """End config's management of OBJ: its ManagedObject row goes, audited; the object stays as it is.

    From then on the dashboard and the API edit it freely (VIGIL_MANAGED_EDITS no longer applies) and
    --prune never deletes it. Its entry should leave the files too: while it stays, the next apply
    makes a new object under the key, as it does after a deletion in the dashboard. None when config
    did not manage OBJ. Admins only (config_code.delete_managedobject): the views check it."""
    content_type = ContentType.objects.get_for_model(obj)
    with transaction.atomic():
        row = ManagedObject.objects.select_for_update().filter(content_type=content_type, object_id=str(obj.pk)).first()
        if row is not None:
            do_release_row(actor, row, obj)
    managed.forget(obj)
    return row


def do_release_row(actor: Actor, row: ManagedObject, obj: Model | None = None) -> None:
    """Delete ROW, audited against its object (OBJ, else the row's target; the row when that is gone)."""
    target = obj if obj is not None else row.target
    record(
        actor, "config.release", target if target is not None else row, kind=row.kind, key=row.key, origin=row.origin
    )
    row.delete()
