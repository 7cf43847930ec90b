from datetime import timedelta

from django.conf import settings
from django.tasks import default_task_backend, task
from django.utils import timezone

from .messaging.failures import DeliveryError, TransientFailure
from .models import ContactMethod


@task()
def send_activation_message(*, method_id, link_sent_at, attempt=1):
    """Send the activation message of one send. A newer send for the same method has its own task,
    so this one stands down instead of sending a second copy of the newer link. A transient
    failure is retried like a delivery (D7: backoff, ACTIVATION_SEND_MAX_ATTEMPTS in all) before
    the method shows that its message was not sent."""
    from .activation import activation_send

    method = ContactMethod.objects.select_related("principal__account").filter(pk=method_id).first()
    if method is None or method.is_activated or method.link_sent_at is None:
        return "skipped"
    if method.link_sent_at.isoformat() != link_sent_at:
        return "superseded"
    try:
        activation_send(method)
    except DeliveryError as error:  # the transports raise named failures only (contacts.messaging)
        if isinstance(error, TransientFailure) and attempt < settings.ACTIVATION_SEND_MAX_ATTEMPTS:
            _retry(method_id=method_id, link_sent_at=link_sent_at, attempt=attempt)
            return "retrying"
        # Shown on Alert Contacts next to the method, so an administrator knows to resend.
        ContactMethod.objects.filter(pk=method.pk).update(send_error=error.text[:500])
        raise
    if method.send_error:
        ContactMethod.objects.filter(pk=method.pk).update(send_error="")
    return "sent"


def _retry(*, method_id, link_sent_at, attempt):
    delay = settings.DELIVERY_RETRY_BASE_SECONDS * (2 ** (attempt - 1))
    retry = send_activation_message
    if default_task_backend.supports_defer:
        retry = retry.using(run_after=timezone.now() + timedelta(seconds=delay))
    # Without deferral (the immediate backend of tests) the retry runs at once.
    retry.enqueue(method_id=method_id, link_sent_at=link_sent_at, attempt=attempt + 1)
