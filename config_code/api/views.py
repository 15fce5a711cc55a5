"""The API's door to configuration as code: the schema, a plan, an apply.

Plan and apply are Vigil admins' for now: they change every team's objects. Service keys scoped
to this (issue #22 asks for CI to apply with one) are being built separately; when they land,
IsVigilAdmin is where a key with the config scope is let in. The body is one configuration file,
YAML or JSON (JSON is YAML), read as the command line reads a file; or several files as a
multipart form, read as one configuration as the command line reads several. `${env:NAME}` reads
Vigil's own environment, VIGIL_CONFIG_* variables only (loader.ServerSecrets).
"""

from dataclasses import replace

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.parsers import BaseParser, MultiPartParser
from rest_framework.permissions import AllowAny, BasePermission
from rest_framework.response import Response
from rest_framework.views import APIView

from vigil.audit import Actor
from vigil.roles import Role, role_of

from ..apply import ConfigInvalid, apply_loaded
from ..loader import ServerSecrets, load
from ..plan import make_plan
from ..schema import json_schema_text
from ..text import as_json


class IsVigilAdmin(BasePermission):
    def has_permission(self, request, view) -> bool:
        return role_of(request.user) == Role.ADMIN


class RawText(BaseParser):
    """Hands the view the body as text, whatever the type: the loader reads YAML and JSON alike."""

    media_type = "*/*"

    def parse(self, stream, media_type=None, parser_context=None) -> str:
        return stream.read().decode("utf-8", errors="replace") if stream else ""


class PlacedErrorSerializer(serializers.Serializer):
    file = serializers.CharField()
    line = serializers.IntegerField(allow_null=True)
    path = serializers.CharField(help_text="Where in the file, e.g. monitors[3].interval_seconds.")
    message = serializers.CharField()


class ChangeSerializer(serializers.Serializer):
    action = serializers.ChoiceField(choices=["create", "update", "delete", "release"])
    kind = serializers.CharField()
    key = serializers.CharField()
    fields = serializers.DictField(child=serializers.DictField(), help_text="{field: {before, after}}")


class PlanSerializer(serializers.Serializer):
    """What config_code.text.as_json answers: the plan, or with errors, the errors and no changes."""

    errors = PlacedErrorSerializer(many=True)
    changes = ChangeSerializer(many=True)
    unchanged = serializers.IntegerField()
    kept = serializers.ListField(child=serializers.CharField())
    summary = serializers.CharField()


PLAN_RESPONSES = {200: PlanSerializer, 400: PlanSerializer}
PRUNE = OpenApiParameter("prune", bool, description="Delete objects config created that the body no longer has.")


class ConfigView(APIView):
    permission_classes = [IsVigilAdmin]
    parser_classes = [MultiPartParser, RawText]

    def files(self, request) -> list[tuple[str, str]]:
        """Several files as a multipart form (`curl -F file=@teams.yaml -F file=@monitors.yaml`),
        each under its own name in the errors; else the body is the one file, named "request"."""
        uploads = request.FILES.getlist("file")
        if uploads:
            return [(upload.name, upload.read().decode("utf-8", errors="replace")) for upload in uploads]
        return [("request", request.data if isinstance(request.data, str) else "")]

    def prune(self, request) -> bool:
        return request.query_params.get("prune", "").lower() in ("1", "true", "yes")


class PlanView(ConfigView):
    @extend_schema(request=OpenApiTypes.STR, responses=PLAN_RESPONSES, parameters=[PRUNE])
    def post(self, request):
        plan = make_plan(load(self.files(request), ServerSecrets()), prune=self.prune(request))
        return Response(as_json(plan), status=400 if plan.errors else 200)


class ApplyView(ConfigView):
    @extend_schema(request=OpenApiTypes.STR, responses=PLAN_RESPONSES, parameters=[PRUNE])
    def post(self, request):
        actor = replace(Actor.from_request(request), via="config")  # the door is config, by key or session
        try:
            plan = apply_loaded(load(self.files(request), ServerSecrets()), actor, prune=self.prune(request))
        except ConfigInvalid as exc:
            return Response(as_json(exc.plan), status=400)
        return Response(as_json(plan))


class SchemaView(APIView):
    """The configuration files' JSON Schema, for editors: the format only, no data, so no sign-in."""

    permission_classes = [AllowAny]
    authentication_classes: list = []

    @extend_schema(responses={(200, "application/schema+json"): OpenApiTypes.OBJECT})
    def get(self, request):
        return HttpResponse(json_schema_text(), content_type="application/schema+json")
