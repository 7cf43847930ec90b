"""The alerts app's models, by concern: tenancy (workspaces.py), alerts and deliveries
(alerts.py), integrations (integrations.py: API tokens, the custom webhook) and daily limits
(limits.py), worker heartbeats (operations.py). Import them from `alerts.models`."""

from .alerts import Alert, Channel, Delivery
from .integrations import ApiToken, WorkspaceWebhook
from .limits import AlertLimit, UsageCounter
from .operations import WorkerHeartbeat
from .workspaces import (
    FULL_ACCESS_POLICY,
    CustomRole,
    Identity,
    Membership,
    PolicyAttachment,
    Region,
    TenantRoleGrant,
    Workspace,
    WorkspaceQuerySet,
)

__all__ = [
    "FULL_ACCESS_POLICY",
    "Alert",
    "AlertLimit",
    "ApiToken",
    "Channel",
    "CustomRole",
    "Delivery",
    "Identity",
    "Membership",
    "PolicyAttachment",
    "Region",
    "TenantRoleGrant",
    "UsageCounter",
    "Workspace",
    "WorkspaceQuerySet",
    "WorkerHeartbeat",
    "WorkspaceWebhook",
]
