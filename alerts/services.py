"""Write paths of the alerts app."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from .models import Workspace


def workspace_alternate_contact_set(*, workspace, principal_id, by=None):
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
