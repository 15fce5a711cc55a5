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
from datetime import UTC, datetime, timedelta
from typing import Annotated, Literal

from django.db.models import Q
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from pydantic import BaseModel, ConfigDict, Field
from pydantic import ValidationError as PydanticError
from rest_framework import authentication, exceptions, serializers, status
from rest_framework.permissions import BasePermission
from rest_framework.response import Response
from rest_framework.views import APIView

from vigil.api.throttling import KeyThrottle

from ..agent_results import AgentResult, record_agent_results, seen_resolution
from ..locations import assignment
from ..models import Location
from ..models_agents import TOKEN_PREFIX

MAX_BATCH = 1000
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


class StepTime(BaseModel):
    model_config = ConfigDict(extra="ignore")

    name: str = Field(max_length=100)
    ms: float = Field(ge=0)


class BrowserDetails(BaseModel):
    """What an agent reports of a browser check (vigil_agent.agent.as_json): no screenshot."""

    model_config = ConfigDict(extra="ignore")

    steps: list[StepTime] = Field(max_length=60)
    failed_step: str = Field(default="", max_length=100)
    console_errors: list[Annotated[str, Field(max_length=500)]] = Field(default_factory=list, max_length=20)


class Result(BaseModel):
    """One result as an agent sends it. Checked by pydantic (its core is compiled), not a DRF
    serializer: a batch is up to 1,000 of these, and DRF's field-by-field checks cost more than
    recording them (bench/agents.py). Unknown keys are ignored, as DRF does."""

    model_config = ConfigDict(extra="ignore")

    monitor: int = Field(ge=1)
    checked_at: datetime  # when the agent ran the check, kept as the result's time
    state: Literal["up", "degraded", "down"]
    latency_ms: float | None = Field(default=None, ge=0)
    status_code: int | None = Field(default=None, ge=100, le=599)
    reason: str = Field(default="", max_length=2000)
    browser: BrowserDetails | None = None  # a browser check's steps, failing step, console errors


class Batch(BaseModel):
    model_config = ConfigDict(extra="ignore")

    version: str = Field(default="", max_length=40)
    results: list[Result] = Field(max_length=MAX_BATCH)


def read_batch(body: bytes) -> Batch:
    """The batch in BODY, or a 400 naming each bad field as the API's other errors do ("results.0.state")."""
    try:
        batch = Batch.model_validate_json(body)
    except PydanticError as exc:
        problems = {
            ".".join(str(part) for part in error["loc"]) or "non_field_errors": [error["msg"]] for error in exc.errors()
        }
        raise serializers.ValidationError(problems) from None
    ahead = timezone.now() + timedelta(minutes=5)
    late = {}
    for index, result in enumerate(batch.results):
        if result.checked_at.tzinfo is None:
            result.checked_at = result.checked_at.replace(tzinfo=UTC)  # no offset given: UTC, as DRF assumes
        if result.checked_at > ahead:
            # A clock far ahead would put results (and a state change) in the future.
            late[f"results.{index}.checked_at"] = ["is more than 5 minutes in the future; check the agent's clock."]
    if late:
        raise serializers.ValidationError(late)
    return batch


class AssignmentsView(AgentView):
    @extend_schema(exclude=True)
    def get(self, request):
        """The monitors this agent runs, with an ETag; If-None-Match with it gets a bodyless 304."""
        now = timezone.now()
        # Polls come every few seconds: note the visit at most every seen_resolution(), so reads stay reads.
        stale = Q(last_seen_at__isnull=True) | Q(last_seen_at__lt=now - seen_resolution())
        Location.objects.filter(stale, pk=request.auth.pk).update(last_seen_at=now)
        monitors, etag = assignment(request.auth)
        if request.headers.get("If-None-Match") == etag:
            return Response(status=status.HTTP_304_NOT_MODIFIED, headers={"ETag": etag})
        return Response({"location": request.auth.name, "monitors": monitors}, headers={"ETag": etag})


class ResultsView(AgentView):
    @extend_schema(exclude=True)
    def post(self, request):
        """Store a batch; a result for a monitor this agent does not run is refused, by position."""
        batch = read_batch(request.body)
        results = [
            AgentResult(
                monitor_id=item.monitor,
                checked_at=item.checked_at,
                state=item.state,
                latency_ms=item.latency_ms,
                status_code=item.status_code,
                reason=item.reason,
                details=item.browser.model_dump() if item.browser else None,
            )
            for item in batch.results
        ]
        errors = record_agent_results(request.auth, results, batch.version)
        refused = [
            {"index": index, "monitor": results[index].monitor_id, "error": error}
            for index, error in enumerate(errors)
            if error
        ]
        return Response({"accepted": len(results) - len(refused), "refused": refused})
