from dataclasses import dataclass, field


@dataclass
class AlertMessage:
    """What one delivery sends, already written in the recipient's language."""

    delivery_id: int
    channel: str
    to: str
    language: str
    subject: str
    body: str
    account_uid: str
    workspace_id: int | None = None  # whose alert it is (the Outbox page filters by it)
    principal_id: int | None = None
    webhook_url: str = ""
    webhook_secret: str = ""
    payload: dict = field(default_factory=dict)  # the custom-webhook JSON (D4)


class ChannelBackend:
    """Sends one AlertMessage. Raises contacts.channel_errors.IncorrectContact when the address or
    number is rejected as unknown (the dispatcher then falls back, D6), TransientFailure for what
    may work later (retried with backoff, D7) and PermanentFailure for anything else."""

    def send(self, message):
        raise NotImplementedError
