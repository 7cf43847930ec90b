"""What RAM says about an account, read through the official SDK (alibabacloud-ram20150501):
its RAM users (ListUsers, paged by Marker), its RAM roles (ListRoles, paged the same way) and the
policies attached to each (ListPoliciesForUser, ListPoliciesForRole), and one user (GetUser) for the
refresh at sign-in (alerts.sign_in). The RAM SDK is used here and nowhere else."""

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial
from typing import Any

from alibabacloud_ram20150501 import models as ram
from alibabacloud_ram20150501.client import Client
from django.conf import settings

from contacts.cloud import sdk_config
from contacts.models import Account

from .errors import ServiceError, cloud_call, error_from

# RAM's answer for a user or role that does not exist (any more).
GONE = "EntityNotExist"


@dataclass(frozen=True)
class RamUser:
    user_id: str
    name: str
    display_name: str
    # As RAM writes them ("86-13912345678"); applied to the contact at its next sign-in (C12).
    mobile_phone: str
    email: str


@dataclass(frozen=True)
class RamRole:
    role_id: str
    name: str
    arn: str


def _text(value: Any) -> str:
    return str(value) if value is not None else ""


class RamReader:
    """Reads one account's RAM directory with the account's credentials."""

    def __init__(self, account: Account) -> None:
        config = sdk_config(settings.ALIBABA_CLOUD_RAM_ENDPOINT, profile=account.credentials_profile)
        self.client: Client = cloud_call(partial(Client, config), what="RAM client")
        self.page_size = max(1, min(1000, settings.DIRECTORY_SYNC_PAGE_SIZE))

    def _pages(self, action: str, ask: Callable[[str | None], Any]) -> Iterator[Any]:
        """Every page's body: RAM answers IsTruncated and a Marker that asks for the next page."""
        marker: str | None = None
        while True:
            body = cloud_call(partial(ask, marker), what=action).body
            yield body
            if not body.is_truncated or not body.marker:
                return
            marker = body.marker

    def _users_page(self, marker: str | None) -> ram.ListUsersResponse:
        return self.client.list_users(ram.ListUsersRequest(max_items=self.page_size, marker=marker))

    def _roles_page(self, marker: str | None) -> ram.ListRolesResponse:
        return self.client.list_roles(ram.ListRolesRequest(max_items=self.page_size, marker=marker))

    def users(self) -> list[RamUser]:
        found = []
        for body in self._pages("ListUsers", self._users_page):
            for user in (body.users.user if body.users else None) or []:
                found.append(
                    RamUser(
                        user_id=_text(user.user_id),
                        name=_text(user.user_name),
                        display_name=_text(user.display_name),
                        mobile_phone=_text(user.mobile_phone),
                        email=_text(user.email),
                    )
                )
        return found

    def user(self, user_name: str) -> RamUser | None:
        """One RAM user by name (GetUser), for the refresh at sign-in: asked once, since a sign-in
        does not wait through the sync's retries. None when RAM has no such user."""
        try:
            body = self.client.get_user(ram.GetUserRequest(user_name=user_name)).body
        except Exception as raw:  # the SDKs raise many types; error_from names them or re-raises
            error = error_from(raw)
            if isinstance(error, ServiceError) and error.code.startswith(GONE):
                return None
            raise error from raw
        user = body.user if body else None
        if user is None:
            return None
        return RamUser(
            user_id=_text(user.user_id),
            name=_text(user.user_name),
            display_name=_text(user.display_name),
            mobile_phone=_text(user.mobile_phone),
            email=_text(user.email),
        )

    def roles(self) -> list[RamRole]:
        found = []
        for body in self._pages("ListRoles", self._roles_page):
            for role in (body.roles.role if body.roles else None) or []:
                found.append(RamRole(role_id=_text(role.role_id), name=_text(role.role_name), arn=_text(role.arn)))
        return found

    @staticmethod
    def _policy_names(action: str, call: Callable[[], Any]) -> set[str]:
        try:
            body = cloud_call(call, what=action).body
        except ServiceError as error:
            if error.code.startswith(GONE):  # deleted since it was listed: the next sync removes it
                return set()
            raise
        return {_text(p.policy_name) for p in (body.policies.policy if body.policies else None) or []}

    def user_policies(self, user_name: str) -> set[str]:
        """The names of the policies attached to the RAM user itself."""
        request = ram.ListPoliciesForUserRequest(user_name=user_name)
        return self._policy_names("ListPoliciesForUser", partial(self.client.list_policies_for_user, request))

    def role_policies(self, role_name: str) -> set[str]:
        """The names of the policies attached to the RAM role."""
        request = ram.ListPoliciesForRoleRequest(role_name=role_name)
        return self._policy_names("ListPoliciesForRole", partial(self.client.list_policies_for_role, request))
