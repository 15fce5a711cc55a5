"""The dashboard's door to configuration as code: releasing an object from config management."""

from django.contrib import messages
from django.contrib.contenttypes.models import ContentType
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.views.decorators.http import require_POST

from vigil.access import permission_required
from vigil.audit import Actor

from .services import do_release


@require_POST
@permission_required("config_code.delete_managedobject")
def release(request, content_type_id: int, object_id: str):
    """Admins only: the object stays, config stops managing it (config_code.services.do_release)."""
    content_type = get_object_or_404(ContentType, pk=content_type_id)
    model = content_type.model_class()
    if model is None:
        raise Http404("No such kind of object")
    obj = get_object_or_404(model, pk=object_id)
    row = do_release(Actor.from_request(request), obj)
    if row is None:
        messages.info(request, "Config does not manage this.")
    else:
        messages.success(request, f"Released from config: remove {row.kind}.{row.key} from the files too.")
    return redirect(obj.get_absolute_url() if hasattr(obj, "get_absolute_url") else "/")
