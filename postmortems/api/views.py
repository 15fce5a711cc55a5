from drf_spectacular.utils import extend_schema, extend_schema_view
from drf_standardized_errors.openapi_validation_errors import extend_validation_errors
from rest_framework import exceptions, mixins, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from postmortems import services
from postmortems.models import ActionItem, PostMortem
from vigil.api.permissions import action_permission
from vigil.audit import Actor

from .serializers import (
    ActionItemFilterSerializer,
    ActionItemSerializer,
    PostMortemSerializer,
    PublishSerializer,
    ReviewersSerializer,
)

WRITES = ["create", "update", "partial_update"]
CHANGE = action_permission("postmortems.change_postmortem")
FLOW = ["reviewers", "submit", "return_to_draft", "sign_off", "publish"]


@extend_validation_errors(
    ["invalid"], field_name="non_field_errors", actions=WRITES + FLOW, methods=["post", "put", "patch"]
)
class PostMortemViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Post-mortems. Creating one drafts it from the incident's record (one per incident); the workflow
    (draft, in review, published) moves through the actions below, as in the dashboard."""

    queryset = PostMortem.objects.select_related("incident").prefetch_related("timeline", "reviews__reviewer")
    serializer_class = PostMortemSerializer

    def get_object(self):
        return services.refresh_impact(super().get_object())  # a draft's figures follow the record

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        incident, title = data.pop("incident"), data.pop("title", "")
        postmortem = run(self.request, services.do_draft_postmortem, incident, title)
        if data:
            postmortem = run(self.request, services.do_update_postmortem, postmortem, **data)
        serializer.instance = postmortem

    def perform_update(self, serializer):
        data = dict(serializer.validated_data)
        data.pop("incident", None)  # unchanged: PostMortemSerializer.validate_incident
        serializer.instance = run(self.request, services.do_update_postmortem, serializer.instance, **data)

    def _flow(self, request, action_fn, form_class=None):
        postmortem = self.get_object()
        kwargs = {}
        if form_class is not None:
            form = form_class(data=request.data)
            form.is_valid(raise_exception=True)
            kwargs = form.validated_data
        run(request, action_fn, postmortem, *kwargs.values())
        return Response(PostMortemSerializer(self.get_queryset().get(pk=postmortem.pk)).data)

    @extend_schema(request=ReviewersSerializer, responses=PostMortemSerializer)
    @action(detail=True, methods=["post"], permission_classes=[CHANGE])
    def reviewers(self, request, pk=None):
        """Name exactly these reviewers; those kept keep their sign-off."""
        return self._flow(request, services.do_set_reviewers, ReviewersSerializer)

    @extend_schema(request=None, responses=PostMortemSerializer)
    @action(detail=True, methods=["post"], permission_classes=[CHANGE])
    def submit(self, request, pk=None):
        """Draft to in review: every named reviewer is asked to sign off."""
        return self._flow(request, services.do_submit_for_review)

    @extend_schema(request=None, responses=PostMortemSerializer)
    @action(detail=True, methods=["post"], permission_classes=[CHANGE], url_path="return-to-draft")
    def return_to_draft(self, request, pk=None):
        return self._flow(request, services.do_return_to_draft)

    @extend_schema(request=None, responses=PostMortemSerializer)
    @action(detail=True, methods=["post"], permission_classes=[CHANGE], url_path="sign-off")
    def sign_off(self, request, pk=None):
        """The caller signs off, as one of the named reviewers."""
        return self._flow(request, services.do_sign_off)

    @extend_schema(request=PublishSerializer, responses=PostMortemSerializer)
    @action(detail=True, methods=["post"], permission_classes=[CHANGE])
    def publish(self, request, pk=None):
        """Admins and the incident commander only, once every named reviewer signed off."""
        return self._flow(request, services.do_publish, PublishSerializer)


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
