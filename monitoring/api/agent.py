"""The probe agents' API (issue #21), under /api/v1/agent/, for agents and nothing else.

    GET  agent/assignments   what this agent runs, in the probe engine's config shape; ETag / 304
    POST agent/results       a batch of results: {"version": "...", "results": [{...}, ...]}

An agent authenticates with its location's token (`Authorization: Bearer vga_...`), never with a
person's API key; a revoked token gets a 401 saying it was revoked, so the agent can tell its
operator instead of retrying forever. The rules live in monitoring.locations and
monitoring.agent_results; these views check the request's shape and call them.

Kept out of the public OpenAPI document (/api/v1/schema/): that document is for people's API keys,
which cannot call these; the agent protocol is versioned with vigil_agent in this repository.
"""

from dataclasses import dataclass
from datetime import timedelta

from django.db.models import Q
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import authentication, exceptions, serializers, status
from rest_framework.permissions import BasePermission
from rest_framework.response import Response
from rest_framework.views import APIView

from vigil.api.throttling import KeyThrottle
from vigil_probes import State

from ..agent_results import AgentResult, record_agent_results
from ..locations import assignment
from ..models import Location
from ..models_agents import TOKEN_PREFIX

MAX_BATCH = 1000
SEEN_RESOLUTION = timedelta(seconds=15)
REVOKED = "This agent's token was revoked: ask a Vigil admin for a new location token."


@dataclass(frozen=True)
class AgentPrincipal:
    """request.user for an agent: authenticated, but no person, so no role or permission applies."""

    location: Location
    is_authenticated: bool = True
    is_active: bool = True
    pk: None = None

    def get_username(self) -> str:
        return f"agent:{self.location.name}"


class AgentTokenAuthentication(authentication.BaseAuthentication):
    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() != b"bearer":
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed("Malformed Authorization header: expected 'Bearer vga_...'.")
        token = header[1].decode(errors="replace")
        if not token.startswith(TOKEN_PREFIX):
            raise exceptions.AuthenticationFailed(f"Not an agent token: agent tokens start with {TOKEN_PREFIX}.")
        location = Location.objects.filter(token_hash=Location.hash_token(token)).first()
        if location is None:
            raise exceptions.AuthenticationFailed("Unknown agent token.")
        if not location.is_active:
            raise exceptions.AuthenticationFailed(REVOKED)
        return AgentPrincipal(location), location

    def authenticate_header(self, request):
        return 'Bearer realm="agent"'


class IsAgent(BasePermission):
    def has_permission(self, request, view) -> bool:
        return isinstance(request.auth, Location)


class AgentThrottle(KeyThrottle):
    """VIGIL_API_THROTTLE_KEY, counted per agent (KeyThrottle counts per API key or user)."""

    def get_cache_key(self, request, view) -> str | None:
        return self.cache_format % {"scope": self.scope, "ident": f"agent{request.auth.pk}"}


class AgentView(APIView):
    authentication_classes = [AgentTokenAuthentication]
    permission_classes = [IsAgent]
    throttle_classes = [AgentThrottle]


class StepTimeSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    ms = serializers.FloatField(min_value=0)


class BrowserDetailsSerializer(serializers.Serializer):
    """What an agent reports of a browser check (vigil_agent.agent.as_json): no screenshot."""

    steps = StepTimeSerializer(many=True, max_length=60)
    failed_step = serializers.CharField(max_length=100, allow_blank=True, required=False, default="")
    console_errors = serializers.ListField(
        child=serializers.CharField(max_length=500, allow_blank=True, trim_whitespace=False),
        max_length=20,
        required=False,
        default=list,
    )


class ResultSerializer(serializers.Serializer):
    monitor = serializers.IntegerField(min_value=1)
    checked_at = serializers.DateTimeField(help_text="When the agent ran the check (kept as the result's time).")
    state = serializers.ChoiceField(choices=[state.value for state in State])
    latency_ms = serializers.FloatField(min_value=0, allow_null=True, required=False, default=None)
    status_code = serializers.IntegerField(min_value=100, max_value=599, allow_null=True, required=False, default=None)
    reason = serializers.CharField(max_length=2000, allow_blank=True, required=False, default="")
    browser = BrowserDetailsSerializer(
        required=False, default=None, allow_null=True, help_text="A browser check's steps, failing step, errors."
    )

    def validate_checked_at(self, value):
        # A clock far ahead would put results (and a state change) in the future.
        if value > timezone.now() + timedelta(minutes=5):
            raise serializers.ValidationError("is more than 5 minutes in the future; check the agent's clock.")
        return value


class BatchSerializer(serializers.Serializer):
    version = serializers.CharField(max_length=40, allow_blank=True, required=False, default="")
    results = ResultSerializer(many=True, allow_empty=True, max_length=MAX_BATCH)


class AssignmentsView(AgentView):
    @extend_schema(exclude=True)
    def get(self, request):
        """The monitors this agent runs, with an ETag; If-None-Match with it gets a bodyless 304."""
        now = timezone.now()
        # Polls come every few seconds: note the visit at most every SEEN_RESOLUTION, so reads stay reads.
        stale = Q(last_seen_at__isnull=True) | Q(last_seen_at__lt=now - SEEN_RESOLUTION)
        Location.objects.filter(stale, pk=request.auth.pk).update(last_seen_at=now)
        monitors, etag = assignment(request.auth)
        if request.headers.get("If-None-Match") == etag:
            return Response(status=status.HTTP_304_NOT_MODIFIED, headers={"ETag": etag})
        return Response({"location": request.auth.name, "monitors": monitors}, headers={"ETag": etag})


class ResultsView(AgentView):
    @extend_schema(exclude=True)
    def post(self, request):
        """Store a batch; a result for a monitor this agent does not run is refused, by position."""
        batch = BatchSerializer(data=request.data)
        batch.is_valid(raise_exception=True)
        results = [
            AgentResult(
                monitor_id=item["monitor"],
                checked_at=item["checked_at"],
                state=item["state"],
                latency_ms=item["latency_ms"],
                status_code=item["status_code"],
                reason=item["reason"],
                details=item["browser"],
            )
            for item in batch.validated_data["results"]
        ]
        errors = record_agent_results(request.auth, results, batch.validated_data["version"])
        refused = [
            {"index": index, "monitor": results[index].monitor_id, "error": error}
            for index, error in enumerate(errors)
            if error
        ]
        return Response({"accepted": len(results) - len(refused), "refused": refused})
