"""The demo data: two accounts, three workspaces, principals with every kind of grant, and the
demo sign-ins documented in the README (a public contract: tests and docs rely on these names)."""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from contacts.models import Account, ContactMethod, Principal

from .models import (
    FULL_ACCESS_POLICY,
    CustomRole,
    Identity,
    Membership,
    PolicyAttachment,
    Region,
    TenantRoleGrant,
    Workspace,
)

REGIONS = [
    ("cn-hangzhou", "China (Hangzhou)", "华东1（杭州）"),
    ("cn-shanghai", "China (Shanghai)", "华东2（上海）"),
    ("ap-southeast-1", "Singapore", "新加坡"),
    ("eu-central-1", "Germany (Frankfurt)", "德国（法兰克福）"),
]

# (login name, display name, workspaces, grants)
INTL_USERS = [
    ("dw-admin", "DataWorks Admin", ["demo_workspace", "analytics_sg"], {"policy"}),
    ("tenant-admin", "Tenant Admin", ["demo_workspace"], {"tenant_admin"}),
    ("security-admin", "Security Admin", ["demo_workspace"], {"security_admin"}),
    ("alert-admin", "Alert Admin", ["demo_workspace"], {"AlertManager"}),
    ("contacts-viewer", "Contacts Viewer", ["demo_workspace"], {"ContactsViewer"}),
    ("developer", "Developer", ["demo_workspace"], set()),
    ("outsider", "Outsider", ["analytics_sg"], {"policy"}),
    ("alice", "Alice Wang", ["demo_workspace"], set()),
    ("bob", "Bob Chan", ["demo_workspace"], set()),
    ("carol", "Carol Smith", ["demo_workspace", "analytics_sg"], set()),
    ("dave", "Dave Miller", ["demo_workspace"], set()),
]
INTL_ROLES = [
    ("OnCallBackup", ["demo_workspace"]),
    ("DataOpsRole", ["demo_workspace", "analytics_sg"]),
]
CN_USERS = [
    ("cn-dev", "开发者", ["cn_workspace"], set()),
    ("cn-ops", "运维值班", ["cn_workspace"], {"policy"}),
]

# RAM IDs (UserId of a RAM user, RoleId of a RAM role): what Sign in with Alibaba Cloud names as
# `uid` (the README's demo table lists them). alice, bob, carol and the roles match docs/examples/.
RAM_IDS = {
    ("intl", "dw-admin"): "216959339000654301",
    ("intl", "tenant-admin"): "216959339000654302",
    ("intl", "security-admin"): "216959339000654303",
    ("intl", "alert-admin"): "216959339000654304",
    ("intl", "contacts-viewer"): "216959339000654305",
    ("intl", "developer"): "216959339000654306",
    ("intl", "outsider"): "216959339000654307",
    ("intl", "alice"): "216959339000654321",
    ("intl", "bob"): "216959339000654322",
    ("intl", "carol"): "216959339000654323",
    ("intl", "dave"): "216959339000654325",
    ("intl", "OnCallBackup"): "390871234567890123",
    ("intl", "DataOpsRole"): "390871234567890124",
    ("cn", "cn-dev"): "277631450000112201",
    ("cn", "cn-ops"): "277631450000112202",
}

# sign-in username -> (account key, principal login name or None for the owner)
SIGN_INS = {
    "owner": ("intl", None),
    "dw-admin": ("intl", "dw-admin"),
    "tenant-admin": ("intl", "tenant-admin"),
    "security-admin": ("intl", "security-admin"),
    "alert-admin": ("intl", "alert-admin"),
    "contacts-viewer": ("intl", "contacts-viewer"),
    "developer": ("intl", "developer"),
    "outsider": ("intl", "outsider"),
    "cn-owner": ("cn", None),
}
SUPPORT_SIGN_IN = "support"


# (principal, phone, email, alerting language): activated in the demo.
DEMO_CONTACTS = [
    ("alice", "+8613900001111", "alice@example.com", "auto"),  # mainland mobile
    ("bob", "+85291234567", "bob@example.com", "auto"),  # Hong Kong mobile: via the custom webhook
    ("carol", "+14155552671", "carol@example.com", "en"),  # US mobile
    ("dave", "", "dave@example.invalid", "auto"),  # refused by the outbox: shows the fallback
    ("OnCallBackup", "+8613800138000", "oncall@example.com", "auto"),  # the alternate alert contact
]


@transaction.atomic
def demo_load(*, password=None):
    """Create or refresh the demo data; running it again changes nothing unless the password did
    (a new password hash would sign every demo user out at each `make run`)."""
    password = password if password is not None else settings.DEMO_PASSWORD
    now = timezone.now()
    regions = {}
    for position, (code, name, name_zh) in enumerate(REGIONS):
        regions[code], _ = Region.objects.update_or_create(
            code=code, defaults={"name": name, "name_zh": name_zh, "position": position}
        )

    accounts = {
        "intl": Account.objects.update_or_create(
            uid="5123456789012345",
            defaults={
                "name": "demo-intl",
                "site": Account.Site.INTERNATIONAL,
                "basic_recipient_name": "Billing Desk",
                "basic_recipient_email": "billing@example.com",
                "basic_recipient_phone": "+6591234567",
            },
        )[0],
        "cn": Account.objects.update_or_create(
            uid="1234567890123456",
            defaults={
                "name": "demo-cn",
                "site": Account.Site.CHINA,
                "basic_recipient_name": "财务联系人",
                "basic_recipient_email": "finance@example.cn",
                "basic_recipient_phone": "+8613800138000",
            },
        )[0],
    }
    workspaces = {}
    for key, name, region in [
        ("intl", "demo_workspace", "cn-hangzhou"),
        ("intl", "analytics_sg", "ap-southeast-1"),
        ("cn", "cn_workspace", "cn-hangzhou"),
    ]:
        workspaces[name], _ = Workspace.objects.update_or_create(
            account=accounts[key], name=name, defaults={"region": regions[region]}
        )

    custom_roles = {
        "AlertManager": CustomRole.objects.update_or_create(
            account=accounts["intl"],
            name="AlertManager",
            defaults={"can_view_alert_resources": True, "can_set_alert_limits": True, "can_view_contacts": True},
        )[0],
        "ContactsViewer": CustomRole.objects.update_or_create(
            account=accounts["intl"],
            name="ContactsViewer",
            defaults={"can_view_alert_resources": False, "can_set_alert_limits": False, "can_view_contacts": True},
        )[0],
    }

    principals = {}

    def add(account_key, kind, name, display_name, workspace_names, grants=()):
        principal, _ = Principal.objects.update_or_create(
            account=accounts[account_key],
            kind=kind,
            name=name,
            defaults={"display_name": display_name, "ram_id": RAM_IDS[(account_key, name)]},
        )
        for workspace_name in workspace_names:
            Membership.objects.get_or_create(workspace=workspaces[workspace_name], principal=principal)
        for grant in grants:
            if grant == "policy":
                PolicyAttachment.objects.get_or_create(principal=principal, policy_name=FULL_ACCESS_POLICY)
            elif grant in TenantRoleGrant.Role.values:
                TenantRoleGrant.objects.get_or_create(principal=principal, role=grant)
            else:
                custom_roles[grant].principals.add(principal)
        principals[(account_key, name)] = principal

    for name, display, names, grants in INTL_USERS:
        add("intl", Principal.Kind.USER, name, display, names, grants)
    for name, names in INTL_ROLES:
        add("intl", Principal.Kind.ROLE, name, "", names)
    for name, display, names, grants in CN_USERS:
        add("cn", Principal.Kind.USER, name, display, names, grants)

    _demo_contacts_set(principals, now)
    Workspace.objects.filter(pk=workspaces["demo_workspace"].pk, alternate_contact__isnull=True).update(
        alternate_contact=principals[("intl", "OnCallBackup")]
    )

    _sign_ins_set(accounts, principals, password)
    return {"accounts": accounts, "workspaces": workspaces, "principals": principals}


def _demo_contacts_set(principals, now):
    """Activated contacts that show every delivery rule (D2–D6); see the README. Set once: a later
    run keeps what people changed while trying the product."""
    for name, phone, email, language in DEMO_CONTACTS:
        principal = principals[("intl", name)]
        if principal.phone or principal.email or principal.contact_methods.exists():
            continue
        Principal.objects.filter(pk=principal.pk).update(phone=phone, email=email, language=language)
        for channel, value in ((ContactMethod.Channel.PHONE, phone), (ContactMethod.Channel.EMAIL, email)):
            if value:
                ContactMethod.objects.update_or_create(
                    principal=principal,
                    channel=channel,
                    defaults={"status": ContactMethod.Status.ACTIVATED, "link_sent_at": now, "activated_at": now},
                )


def _sign_ins_set(accounts, principals, password):
    User = get_user_model()
    for username, (account_key, principal_name) in SIGN_INS.items():
        user, _ = User.objects.get_or_create(username=username)
        _password_set(user, password)
        Identity.objects.update_or_create(
            user=user,
            defaults={
                "account": accounts[account_key],
                "principal": principals[(account_key, principal_name)] if principal_name else None,
            },
        )
    support, _ = User.objects.get_or_create(username=SUPPORT_SIGN_IN)
    support.is_staff = support.is_superuser = True
    _password_set(support, password)


def _password_set(user, password):
    if not user.check_password(password):
        user.set_password(password)
    user.save()
