"""The API's door to configuration as code: the schema, a plan, an apply.

Plan and apply are Vigil admins', who may change every team's objects, and teams' service keys'
(issue #22: CI applies with one): any key may plan; a write key applies only changes it could make
by the API, checked over the whole plan first (config_code.service_keys), else a 403 listing each
and nothing applied. The body is one configuration file,
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
from vigil.people import is_service_account
from vigil.roles import Role, role_of

from ..apply import ConfigInvalid, ConfigRefused, apply_loaded
from ..loader import ServerSecrets, load
from ..plan import make_plan
from ..schema import json_schema_text
from ..service_keys import key_refusals
from ..text import as_json


class AdminOrServiceKey(BasePermission):
    """Vigil admins, and service keys: any key plans; only a write key may try to apply."""

    message = "Only Vigil admins and teams' service keys may use configuration as code."

    def has_permission(self, request, view) -> bool:
        if role_of(request.user) == Role.ADMIN:
            return True
        if not is_service_account(request.user):
            return False
        if view.writes and request.user.service_key.scope != "write":
            self.message = "A read-only service key may plan, not apply: apply with a write key."
            return False
        return True


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
    permission_classes = [AdminOrServiceKey]
    writes = False
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

    def key(self, request):
        """The caller's service key, or None for an admin."""
        return request.user.service_key if is_service_account(request.user) else None


class PlanView(ConfigView):
    @extend_schema(request=OpenApiTypes.STR, responses={**PLAN_RESPONSES, 403: PlanSerializer}, parameters=[PRUNE])
    def post(self, request):
        key = self.key(request)
        loaded = load(self.files(request), ServerSecrets())
        plan = make_plan(loaded, prune=self.prune(request), default_team_id=key.team_id if key else None)
        if plan.errors:
            return Response(as_json(plan), status=400)
        if key is not None and key.scope == "write" and (refusals := key_refusals(request.user, key.kinds, plan)):
            # What the apply would refuse, told at plan time (a pull request's check, not the merge's).
            plan.errors += refusals
            return Response(as_json(plan), status=403)
        return Response(as_json(plan))


class ApplyView(ConfigView):
    writes = True

    @extend_schema(request=OpenApiTypes.STR, responses={**PLAN_RESPONSES, 403: PlanSerializer}, parameters=[PRUNE])
    def post(self, request):
        actor = replace(Actor.from_request(request), via="config")  # the door is config, by key or session
        key, user = self.key(request), request.user
        refuse = (lambda plan: key_refusals(user, key.kinds, plan)) if key else None
        loaded = load(self.files(request), ServerSecrets())
        try:
            plan = apply_loaded(
                loaded, actor, prune=self.prune(request), refuse=refuse, default_team=key.team if key else None
            )
        except ConfigRefused as exc:
            return Response(as_json(exc.plan), status=403)
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
