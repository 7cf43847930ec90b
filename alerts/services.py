"""Write paths of the alerts app."""

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from contacts.models import ContactMethod

from .intake import alert_accept
from .models import Alert, Channel, Delivery, Workspace


class TestMessageLimited(Exception):
    """Too many test messages for one contact method in the window (I3)."""


def workspace_alternate_contact_set(*, workspace: Workspace, principal_id: int | None, by: Any = None) -> Workspace:
    """Make a member of the workspace its alternate alert contact, or clear it (None) (C11)."""
    with transaction.atomic():
        workspace = Workspace.objects.select_for_update().get(pk=workspace.pk)
        if principal_id is None:
            workspace.alternate_contact = None
        else:
            membership = workspace.memberships.select_related("principal").filter(principal_id=principal_id).first()
            if membership is None:
                raise ValidationError(_("The alternate alert contact must be a member of the workspace."))
            workspace.alternate_contact = membership.principal
        workspace.save(update_fields=["alternate_contact"])
    return workspace


def test_message_send(*, workspace: Workspace, method: ContactMethod, by: Any = None) -> Alert:
    """Send a test message to one Activated contact method (I3), at most TEST_MESSAGE_LIMIT per
    method per window. The method's row is locked while the recent ones are counted and the new
    one is stored, so simultaneous clicks cannot all pass the count. Returns the alert."""
    channel = Channel.EMAIL if method.channel == ContactMethod.Channel.EMAIL else Channel.SMS
    with transaction.atomic():
        method = ContactMethod.objects.select_for_update().select_related("principal").get(pk=method.pk)
        if not method.is_activated:
            raise ValidationError(_("Only activated contact methods can receive a test message."))
        since = timezone.now() - timedelta(seconds=settings.TEST_MESSAGE_WINDOW_SECONDS)
        recent = Delivery.objects.filter(
            alert__source="test",
            principal=method.principal,
            channel=channel,
            role=Delivery.Role.PRIMARY,
            created_at__gte=since,
        ).count()
        if recent >= settings.TEST_MESSAGE_LIMIT:
            raise TestMessageLimited()
        principal = method.principal
        name = principal.name if principal.kind == "user" else f"role:{principal.name}"
        return alert_accept(
            workspace=workspace,
            source="test",
            title=str(_("Test message")),
            recipients=[name],
            channels=[channel],
            by=by,
            content=str(_("A test message from DataWorks Alert Contacts. No action is needed.")),
        )
