"""What the dashboard shows beside an object the configuration files manage (issue #22)."""

from django.contrib.contenttypes.models import ContentType
from django.db.models import Model

from .models import ManagedObject


def managed_label(obj: Model) -> str | None:
    """ "monitors.checkout-api" when config manages OBJ, else None: one query, on the tracking index."""
    row = (
        ManagedObject.objects.filter(content_type=ContentType.objects.get_for_model(obj), object_id=str(obj.pk))
        .values_list("kind", "key")
        .first()
    )
    return f"{row[0]}.{row[1]}" if row else None
