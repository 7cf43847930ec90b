import smtplib

from django.core.mail import EmailMessage

from contacts.channel_errors import IncorrectContact, PermanentFailure, TransientFailure
from contacts.mail_backends import ACCOUNT_HEADER, KIND_HEADER, LANGUAGE_HEADER, PRINCIPAL_HEADER, WORKSPACE_HEADER

from .base import ChannelBackend


class EmailChannel(ChannelBackend):
    """Email through Django's mail framework (MAILERS): SMTP in production, where a 5xx refusal of
    the recipient means the address is incorrect and a 4xx or a lost connection is transient."""

    def send(self, message):
        email = EmailMessage(
            message.subject,
            message.body,
            to=[message.to],
            headers={
                LANGUAGE_HEADER: message.language,
                KIND_HEADER: "alert",
                ACCOUNT_HEADER: message.account_uid,
                WORKSPACE_HEADER: str(message.workspace_id or ""),
                PRINCIPAL_HEADER: str(message.principal_id or ""),
            },
        )
        try:
            email.send()
        except smtplib.SMTPRecipientsRefused as error:
            code, text = next(iter(error.recipients.values()))
            detail = f"SMTP {code} {text.decode(errors='replace') if isinstance(text, bytes) else text}"
            if 500 <= code < 600:
                raise IncorrectContact(detail, code=f"SMTP_{code}") from None
            raise TransientFailure(detail, code=f"SMTP_{code}") from None
        except smtplib.SMTPResponseException as error:
            detail = f"SMTP {error.smtp_code} {error.smtp_error!r}"
            if 400 <= error.smtp_code < 500:
                raise TransientFailure(detail, code=f"SMTP_{error.smtp_code}") from None
            raise PermanentFailure(detail, code=f"SMTP_{error.smtp_code}") from None
        except (
            smtplib.SMTPServerDisconnected,
            smtplib.SMTPConnectError,
            ConnectionError,
            TimeoutError,
            OSError,
        ) as error:
            raise TransientFailure(f"SMTP connection failed: {error}", code="SMTP_CONNECTION") from None
