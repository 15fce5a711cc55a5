from drf_spectacular.utils import extend_schema, extend_schema_view
from drf_standardized_errors.openapi_validation_errors import extend_validation_errors
from rest_framework import exceptions, mixins, viewsets

from postmortems import services
from postmortems.models import ActionItem, PostMortem
from vigil.audit import Actor

from .serializers import ActionItemFilterSerializer, ActionItemSerializer, PostMortemSerializer


class PostMortemViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    queryset = PostMortem.objects.select_related("incident")
    serializer_class = PostMortemSerializer

    def perform_create(self, serializer):
        serializer.save(author=self.request.user)


WRITES = ["create", "update", "partial_update"]


def run(request, action_fn, *args, **kwargs):
    """Run a service action: a refused move is a 400 with the reason."""
    try:
        return action_fn(Actor.from_request(request), *args, **kwargs)
    except services.ActionError as exc:
        raise exceptions.ValidationError({"non_field_errors": [str(exc)]}) from exc


@extend_validation_errors(["invalid"], field_name="non_field_errors", actions=WRITES, methods=["post", "put", "patch"])
# Errors of a link as a whole (postmortems.api.serializers.ActionItemSerializer._resolve and validate).
@extend_validation_errors(["invalid"], field_name="source_type", actions=WRITES, methods=["post", "put", "patch"])
@extend_validation_errors(["invalid"], field_name="source_id", actions=WRITES, methods=["post", "put", "patch"])
@extend_validation_errors(["invalid"], field_name="target_type", actions=WRITES, methods=["post", "put", "patch"])
@extend_validation_errors(["invalid"], field_name="target_id", actions=WRITES, methods=["post", "put", "patch"])
@extend_validation_errors(["invalid_choice"], field_name="status", actions=["list"], methods=["get"])
@extend_validation_errors(
    ["invalid", "min_value", "max_value", "max_string_length"], field_name="owner", actions=["list"], methods=["get"]
)
@extend_validation_errors(
    ["invalid", "min_value", "max_value", "max_string_length"],
    field_name="postmortem",
    actions=["list"],
    methods=["get"],
)
@extend_schema_view(list=extend_schema(parameters=[ActionItemFilterSerializer]))
class ActionItemViewSet(viewsets.ModelViewSet):
    """Action items from post-mortems and DR drills. Targeting a DR plan flags that plan for review."""

    queryset = ActionItem.objects.select_related("owner", "postmortem", "source_type", "target_type")
    serializer_class = ActionItemSerializer

    def get_queryset(self):
        items = super().get_queryset().prefetch_related("source", "target")
        if self.action != "list":
            return items
        filters = ActionItemFilterSerializer(data=self.request.query_params)
        filters.is_valid(raise_exception=True)
        return items.filter(**filters.validated_data)

    def perform_create(self, serializer):
        serializer.instance = run(self.request, services.do_create_action_item, **serializer.validated_data)

    def perform_update(self, serializer):
        data = dict(serializer.validated_data)
        serializer.instance = run(self.request, services.do_update_action_item, serializer.instance, **data)

    def perform_destroy(self, instance):
        services.do_delete_action_item(Actor.from_request(self.request), instance)
