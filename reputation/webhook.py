"""The generic inbound webhook: listening tools and automation services post mentions here.

    POST /monitors/reputation/hooks/<source id>/
    X-Vigil-Secret: <the source's secret>        (or Authorization: Bearer <secret>)
    Content-Type: application/json

    {"source": "reddit", "author": "u/someone", "url": "https://...", "text": "...",
     "published_at": "2025-03-04T10:00:00Z", "id": "t3_abc"}

or a JSON array of up to 500 such objects. Only `text` is required; `published_at` (ISO 8601)
defaults to now; `url`, or `id` within the source, deduplicates. No login: the secret is the
credential, compared in constant time. Answers 200 with the counts, 400 naming the fields that
are wrong (nothing is stored then), 401 for an unknown source or a wrong secret, 413 for a body
over 1 MB.
"""

import json

from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from . import services
from .api.serializers import WEBHOOK_BATCH, WebhookMentionSerializer

MAX_BODY_BYTES = 1024 * 1024


def _refuse(status: int, error: str, detail: str, **extra) -> JsonResponse:
    return JsonResponse({"error": error, "detail": detail, **extra}, status=status)


def secret_of(request) -> str:
    header = request.META.get("HTTP_X_VIGIL_SECRET", "")
    if header:
        return header.strip()
    scheme, _, value = request.META.get("HTTP_AUTHORIZATION", "").partition(" ")
    return value.strip() if scheme.lower() == "bearer" else ""


def _body(request) -> bytes | None:
    """The body, or None when it is over MAX_BODY_BYTES."""
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > MAX_BODY_BYTES:
        return None
    body = request.read(MAX_BODY_BYTES + 1)
    return None if len(body) > MAX_BODY_BYTES else body


@csrf_exempt
@require_POST
def receive(request, pk: int):
    source = services.access_webhook(pk, secret_of(request))
    if source is None:
        return _refuse(401, "unauthorized", "No enabled webhook source has this id and secret.")
    body = _body(request)
    if body is None:
        return _refuse(413, "too_large", f"The body is over {MAX_BODY_BYTES} bytes.")
    try:
        payload = json.loads(body)
    except (ValueError, RecursionError) as exc:
        return _refuse(400, "invalid_payload", f"The body is not JSON ({exc}).")
    many = isinstance(payload, list)
    if not many and not isinstance(payload, dict):
        return _refuse(400, "invalid_payload", "Send a JSON object, or an array of them.")
    if many:
        serializer = WebhookMentionSerializer(data=payload, many=True, max_length=WEBHOOK_BATCH, allow_empty=False)
    else:
        serializer = WebhookMentionSerializer(data=payload)
    if not serializer.is_valid():
        return _refuse(400, "invalid_payload", "Some fields are wrong; nothing was stored.", fields=serializer.errors)
    rows = serializer.validated_data if many else [serializer.validated_data]
    result = services.do_receive(source, [WebhookMentionSerializer.to_mention(row) for row in rows])
    return JsonResponse(result.as_dict())
