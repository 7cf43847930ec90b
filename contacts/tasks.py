import smtplib

from django.tasks import task

from .channel_errors import DeliveryError
from .models import ContactMethod


@task()
def send_activation_message(*, method_id, link_sent_at):
    """Send the activation message of one send. A newer send for the same method has its own task,
    so this one stands down instead of sending a second copy of the newer link."""
    from .activation import activation_send

    method = ContactMethod.objects.select_related("principal__account").filter(pk=method_id).first()
    if method is None or method.is_activated or method.link_sent_at is None:
        return "skipped"
    if method.link_sent_at.isoformat() != link_sent_at:
        return "superseded"
    try:
        activation_send(method)
    except (smtplib.SMTPException, DeliveryError, OSError) as error:
        # Shown on Alert Contacts next to the method, so an administrator knows to resend.
        ContactMethod.objects.filter(pk=method.pk).update(send_error=str(getattr(error, "text", error))[:500])
        raise
    if method.send_error:
        ContactMethod.objects.filter(pk=method.pk).update(send_error="")
    return "sent"
