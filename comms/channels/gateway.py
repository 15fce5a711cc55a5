"""SMS through any HTTP SMS gateway, described by settings (VIGIL_SMS_GATEWAY_*).

The body is a template with {to}, {text} and {from}: a JSON body (one starting with "{") gets each
value JSON-escaped, a form body URL-encoded. Headers are a JSON object (they may carry the gateway's
credential: VIGIL_SMS_GATEWAY_HEADERS_FILE). Success is a 2xx answer, and when VIGIL_SMS_GATEWAY_SUCCESS
is set, a body that regular expression matches (its group "id", if any, is the gateway's message id).
The URL is an admin's, and goes through vigil.http like every other URL someone typed.
"""

import json
import re
from urllib.parse import quote_plus

from django.conf import settings

from vigil import http

from .base import Channel, DeliveryError, Message, error_for_status

USER_AGENT = "Vigil-Comms/1"


def ready() -> bool:
    return bool(settings.VIGIL_SMS_GATEWAY_URL)


def render_body(template: str, values: dict[str, str]) -> tuple[str, str]:
    """(body, content type) for VALUES in TEMPLATE."""
    is_json = template.lstrip().startswith("{")
    body = template
    for name, value in values.items():
        body = body.replace("{" + name + "}", json.dumps(value)[1:-1] if is_json else quote_plus(value))
    return body, ("application/json" if is_json else "application/x-www-form-urlencoded")


def headers() -> dict[str, str]:
    raw = settings.VIGIL_SMS_GATEWAY_HEADERS
    return {str(k): str(v) for k, v in json.loads(raw).items()} if raw else {}


class SmsGatewayChannel(Channel):
    kind = "sms_gateway"

    def send(self, message: Message) -> str:
        values = {"to": message.destination, "text": message.body, "from": settings.VIGIL_SMS_GATEWAY_FROM}
        body, content_type = render_body(settings.VIGIL_SMS_GATEWAY_BODY, values)
        try:
            response = http.request(
                settings.VIGIL_SMS_GATEWAY_METHOD.upper(),
                settings.VIGIL_SMS_GATEWAY_URL,
                headers={"Content-Type": content_type, **headers()},
                data=body.encode(),
                user_agent=USER_AGENT,
            )
        except http.RefusedURL as exc:
            raise DeliveryError(f"Gateway: {exc}", permanent=True) from None
        if response.status_code >= 300:
            raise error_for_status(response.status_code, response.text[:300], response.headers.get("Retry-After"))
        return self.provider_id(message, response.text)

    def provider_id(self, message: Message, text: str) -> str:
        rule = settings.VIGIL_SMS_GATEWAY_SUCCESS
        if not rule:
            return f"gateway-{message.id}"
        found = re.search(rule, text)
        if not found:
            raise DeliveryError(f"Gateway: the answer does not match the success rule: {text[:200]}", permanent=True)
        return (found.groupdict().get("id") or f"gateway-{message.id}")[:100]
