import smtplib
from email.utils import make_msgid

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.core.mail.utils import DNS_NAME

from .base import Channel, DeliveryError, Message


class SmtpChannel(Channel):
    """Email through Django's configured email backend (EMAIL_URL), one connection per batch."""

    kind = "smtp"
    max_batch = 100

    def deliver(self, messages):
        with get_connection(fail_silently=False) as connection:
            self.connection = connection
            yield from super().deliver(messages)

    def send(self, message: Message) -> str:
        message_id = make_msgid(domain=str(DNS_NAME))
        mail = EmailMessage(
            message.subject,
            message.body,
            settings.DEFAULT_FROM_EMAIL,
            [message.destination],
            headers={"Message-ID": message_id},
        )
        try:
            self.connection.send_messages([mail])
        except smtplib.SMTPRecipientsRefused as exc:
            raise DeliveryError(f"Recipient refused: {exc.recipients}", permanent=True) from exc
        except smtplib.SMTPResponseException as exc:
            # 5xx is the server's final no; 4xx asks to try later.
            raise DeliveryError(f"SMTP {exc.smtp_code}: {exc.smtp_error!r}", permanent=exc.smtp_code >= 500) from exc
        return message_id
