from collections.abc import Iterable, Iterator
from itertools import groupby, islice

from django.conf import settings
from python_http_client.exceptions import HTTPError
from sendgrid import SendGridAPIClient

from .base import TRANSIENT_ERRORS, Channel, DeliveryError, Message, error_for_status

# SendGrid's limit: personalizations in one v3 mail/send request.
MAX_PERSONALIZATIONS = 1000
# The custom arg naming the outbox row; SendGrid's event webhook sends it back (comms.delivery).
CUSTOM_ARG = "vigil_notification"
# Stands in the shared text for a recipient's own part (a subscriber's manage link): a substitution.
PERSONAL_TAG = "-vigil_personal-"


def _chunks(items: list, size: int) -> Iterator[list]:
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk


class SendGridChannel(Channel):
    """Email through SendGrid's v3 API (the official client): one request per 1,000 recipients of one text.

    Each recipient is a personalization carrying the row id in custom_args, which SendGrid's
    event webhook sends back. A 400 for a batch (one bad address spoils the request) is
    retried recipient by recipient, so only the bad row fails.
    """

    kind = "sendgrid"
    max_batch = MAX_PERSONALIZATIONS

    def __init__(self):
        self.client = SendGridAPIClient(settings.SENDGRID_API_KEY, host=settings.VIGIL_SENDGRID_API_URL)

    def deliver(self, messages: Iterable[Message]) -> Iterator[tuple[Message, str | DeliveryError]]:
        def text(m):
            return (m.subject, shared_body(m))

        for _, same_text in groupby(sorted(messages, key=text), key=text):
            for chunk in _chunks(list(same_text), MAX_PERSONALIZATIONS):
                yield from self._send(chunk)

    def _send(self, chunk: list[Message]) -> Iterator[tuple[Message, str | DeliveryError]]:
        try:
            response = self.client.client.mail.send.post(
                request_body=self._mail(chunk), timeout=settings.VIGIL_COMMS_HTTP_TIMEOUT
            )
        except HTTPError as exc:
            error = error_for_status(exc.status_code, _text(exc.body), (exc.headers or {}).get("Retry-After"))
            if error.permanent and exc.status_code == 400 and len(chunk) > 1:
                for message in chunk:
                    yield from self._send([message])
                return
            outcome: str | DeliveryError = error
        except TRANSIENT_ERRORS as exc:
            outcome = DeliveryError(f"{type(exc).__name__}: {exc}"[:1000])
        else:
            outcome = response.headers.get("X-Message-Id", "") or "sendgrid"
        for message in chunk:
            yield message, outcome

    @staticmethod
    def _mail(chunk: list[Message]) -> dict:
        return {
            "from": {"email": settings.DEFAULT_FROM_EMAIL},
            "subject": chunk[0].subject,
            "content": [{"type": "text/plain", "value": shared_body(chunk[0])}],
            "personalizations": [_personalization(m) for m in chunk],
        }


def shared_body(message: Message) -> str:
    return message.body.replace(message.personal, PERSONAL_TAG) if message.personal else message.body


def _personalization(message: Message) -> dict:
    personalization = {"to": [{"email": message.destination}], "custom_args": {CUSTOM_ARG: str(message.id)}}
    if message.personal:
        personalization["substitutions"] = {PERSONAL_TAG: message.personal}
    return personalization


def _text(body) -> str:
    return (body.decode(errors="replace") if isinstance(body, bytes) else str(body or ""))[:300]
