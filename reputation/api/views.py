from django.db.models import Q
from drf_spectacular.utils import extend_schema, extend_schema_view
from drf_standardized_errors.openapi_validation_errors import extend_validation_errors
from rest_framework import mixins, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.settings import api_settings

from reputation import services
from reputation.models import Brand, Mention, MentionSource, MentionSpike
from vigil.api.errors import model_errors
from vigil.api.permissions import action_permission
from vigil.audit import Actor

from .serializers import (
    BrandSerializer,
    MentionCreateSerializer,
    MentionFilterSerializer,
    MentionLinkSerializer,
    MentionSerializer,
    MentionSourceSerializer,
    MentionSpikeSerializer,
    MentionStateSerializer,
)

NON_FIELD = api_settings.NON_FIELD_ERRORS_KEY
WRITES = ["create", "update", "partial_update"]
# Answering, ignoring and linking mentions need change_mention, which responders hold (reputation.apps).
WORK_MENTIONS = action_permission("reputation.change_mention")


@extend_validation_errors(["invalid"], field_name=NON_FIELD, actions=WRITES, methods=["post", "put", "patch"])
class BrandViewSet(viewsets.ModelViewSet):
    """Brands: ours, and the competitors the dashboard compares us with. Admins manage them."""

    queryset = Brand.objects.all()
    serializer_class = BrandSerializer

    def perform_create(self, serializer):
        with model_errors(serializer):
            serializer.instance = services.do_create_brand(
                Actor.from_request(self.request), **serializer.validated_data
            )

    def perform_update(self, serializer):
        actor = Actor.from_request(self.request)
        with model_errors(serializer):
            serializer.instance = services.do_update_brand(actor, serializer.instance, **serializer.validated_data)

    def perform_destroy(self, instance):
        services.do_delete_brand(Actor.from_request(self.request), instance)


@extend_validation_errors(["invalid"], field_name=NON_FIELD, actions=WRITES, methods=["post", "put", "patch"])
class MentionSourceViewSet(viewsets.ModelViewSet):
    """Where mentions come from: feeds polled by beat, webhooks, manual entry. Admins manage them."""

    queryset = MentionSource.objects.select_related("brand")
    serializer_class = MentionSourceSerializer

    def perform_create(self, serializer):
        actor = Actor.from_request(self.request)
        with model_errors(serializer):
            serializer.instance = services.do_create_source(actor, **serializer.validated_data)

    def perform_update(self, serializer):
        actor = Actor.from_request(self.request)
        with model_errors(serializer):
            serializer.instance = services.do_update_source(actor, serializer.instance, **serializer.validated_data)

    def perform_destroy(self, instance):
        services.do_delete_source(Actor.from_request(self.request), instance)

    @extend_schema(request=None, responses=MentionSourceSerializer)
    @action(
        detail=True,
        methods=["post"],
        url_path="rotate-secret",
        permission_classes=[action_permission("reputation.change_mentionsource")],
    )
    def rotate_secret(self, request, pk=None):
        """A new webhook secret; the old one stops working at once."""
        source = services.do_rotate_secret(Actor.from_request(request), self.get_object())
        return Response(self.get_serializer(source).data)


@extend_validation_errors(["invalid"], field_name=NON_FIELD, actions=["create", "state"], methods=["post"])
@extend_validation_errors(["invalid_choice"], field_name="state", actions=["list"], methods=["get"])
@extend_validation_errors(["invalid_choice"], field_name="label", actions=["list"], methods=["get"])
@extend_validation_errors(["does_not_exist", "incorrect_type"], field_name="brand", actions=["list"], methods=["get"])
@extend_validation_errors(["does_not_exist", "incorrect_type"], field_name="source", actions=["list"], methods=["get"])
@extend_validation_errors(
    ["does_not_exist", "incorrect_type"], field_name="incident", actions=["list"], methods=["get"]
)
@extend_validation_errors(
    ["max_length", "blank", "null_characters_not_allowed", "surrogate_characters_not_allowed"],
    field_name="search",
    actions=["list"],
    methods=["get"],
)
@extend_validation_errors(["invalid", "overflow", "make_aware"], field_name="since", actions=["list"], methods=["get"])
@extend_validation_errors(["invalid", "overflow", "make_aware"], field_name="until", actions=["list"], methods=["get"])
@extend_schema_view(
    list=extend_schema(parameters=[MentionFilterSerializer]),
    create=extend_schema(request=MentionCreateSerializer, responses={201: MentionSerializer}),
)
class MentionViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """Mentions, newest first: scored, tagged with a brand, linked to incidents, and answered.

    Responders add them by hand and move them along: needs response, responded (with the answer
    given), ignored. Their text and sentiment are what came in, and are not edited.
    """

    queryset = Mention.objects.select_related("responded_by")
    serializer_class = MentionSerializer

    def get_serializer_class(self):
        return MentionCreateSerializer if self.action == "create" else MentionSerializer

    def get_queryset(self):
        mentions = super().get_queryset()
        if self.action != "list":
            return mentions
        filters = MentionFilterSerializer(data=self.request.query_params)
        filters.is_valid(raise_exception=True)
        data = filters.validated_data
        for name in ("state", "label", "brand", "source", "incident"):
            if name in data:
                mentions = mentions.filter(**{name: data[name]})
        if data.get("search"):
            mentions = mentions.filter(Q(text__icontains=data["search"]) | Q(author__icontains=data["search"]))
        if "since" in data:
            mentions = mentions.filter(published_at__gte=data["since"])
        if "until" in data:
            mentions = mentions.filter(published_at__lt=data["until"])
        return mentions

    def perform_create(self, serializer):
        with model_errors(serializer):
            mention = services.do_add_mention(Actor.from_request(self.request), **serializer.validated_data)
        serializer.instance = mention

    def create(self, request, *args, **kwargs):
        serializer = MentionCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        self.perform_create(serializer)
        return Response(MentionSerializer(serializer.instance).data, status=201)

    def perform_destroy(self, instance):
        services.do_delete_mention(Actor.from_request(self.request), instance)

    def _act(self, function, *args, **kwargs) -> Response:
        try:
            mention = function(Actor.from_request(self.request), self.get_object(), *args, **kwargs)
        except services.ActionError as exc:
            raise ValidationError({NON_FIELD: [str(exc)]}) from exc
        return Response(MentionSerializer(mention).data)

    @extend_schema(request=MentionStateSerializer, responses=MentionSerializer)
    @action(detail=True, methods=["post"], permission_classes=[WORK_MENTIONS])
    def state(self, request, pk=None):
        """Move the mention along: needs_response, responded (with the response), ignored, new."""
        body = MentionStateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        return self._act(services.do_change_state, body.validated_data["state"], body.validated_data["response"])

    @extend_schema(request=MentionLinkSerializer, responses=MentionSerializer)
    @action(detail=True, methods=["post"], permission_classes=[WORK_MENTIONS])
    def link(self, request, pk=None):
        """Link the mention to an incident by hand, or unlink it (incident: null)."""
        body = MentionLinkSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        return self._act(services.do_link, body.validated_data["incident"])


class MentionSpikeViewSet(viewsets.ReadOnlyModelViewSet):
    """Spikes of mentions of us beyond the baseline, newest first, each with the incident it opened."""

    queryset = MentionSpike.objects.all()
    serializer_class = MentionSpikeSerializer
