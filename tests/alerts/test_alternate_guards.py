"""The service that sets the alternate alert contact (rules C11): only a member of the workspace."""

import pytest
from django.core.exceptions import ValidationError

from alerts.services import workspace_alternate_contact_set


@pytest.mark.parametrize("who", [("intl", "outsider"), ("cn", "cn-dev")], ids=["non-member", "other-account"])
def test_C11_service_refuses_a_non_member_and_says_why(ws, demo, who):
    """C11: a principal that is not a member of this workspace (of this account or another) is
    refused with a message that says it must be a member; the alternate is unchanged."""
    ws.refresh_from_db()
    before = ws.alternate_contact
    assert before is not None  # the demo sets one
    with pytest.raises(ValidationError) as caught:
        workspace_alternate_contact_set(workspace=ws, principal_id=demo["principals"][who].pk)
    assert caught.value.messages == ["The alternate alert contact must be a member of the workspace."]
    ws.refresh_from_db()
    assert ws.alternate_contact == before


def test_C11_service_sets_a_member_and_clears(ws, demo):
    """C11: a member (here a RAM role) becomes the alternate; None clears it."""
    role = demo["principals"][("intl", "DataOpsRole")]
    assert workspace_alternate_contact_set(workspace=ws, principal_id=role.pk).alternate_contact == role
    assert workspace_alternate_contact_set(workspace=ws, principal_id=None).alternate_contact is None
