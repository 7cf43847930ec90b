"""An account's DataWorks workspaces and their members, read through the official SDK
(alibabacloud-dataworks-public20240518) at each region's endpoint: ListProjects and
ListProjectMembers, both paged by PageNumber. The DataWorks SDK is used here and nowhere else.

The API gives each member's workspace-level roles (role codes such as `role_project_admin`, the
workspace administrator). It exposes no tenant-level roles: tenant and security administrators
are not readable through it and stay typed in by hand in the admin."""

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

from alibabacloud_dataworks_public20240518 import models as dw
from alibabacloud_dataworks_public20240518.client import Client
from django.conf import settings

from contacts.cloud import sdk_config
from contacts.models import Account

from .errors import cloud_call

PUBLIC_ENDPOINT = "https://dataworks.{region}.aliyuncs.com"
# ListProjectMembers: `Normal`, or `Forbidden` for a member disabled in the workspace.
ACTIVE_MEMBER = "Normal"


@dataclass(frozen=True)
class Project:
    id: int
    name: str
    display_name: str
    status: str
    region: str


@dataclass(frozen=True)
class Member:
    # DataWorks' id of the member: the UserId of a RAM user, the account id of the owner, and for
    # a RAM role its RoleId (DataWorks writes it `ROLE_<RoleId>`).
    user_id: str
    user_name: str
    status: str
    roles: tuple[str, ...]

    @property
    def is_active(self) -> bool:
        return not self.status or self.status == ACTIVE_MEMBER


def endpoint_for(region: str) -> str:
    """The DataWorks endpoint URL of a region (settings: ALIBABA_CLOUD_DATAWORKS_REGION_ENDPOINTS,
    then ALIBABA_CLOUD_DATAWORKS_ENDPOINT, where `{region}` is filled in, then the public one)."""
    named = settings.ALIBABA_CLOUD_DATAWORKS_REGION_ENDPOINTS.get(region)
    if named:
        return str(named)
    return (settings.ALIBABA_CLOUD_DATAWORKS_ENDPOINT or PUBLIC_ENDPOINT).replace("{region}", region)


def _text(value: Any) -> str:
    return str(value) if value is not None else ""


class DataWorksReader:
    """Reads one account's workspaces of one region with the account's credentials."""

    def __init__(self, account: Account, region: str) -> None:
        config = sdk_config(endpoint_for(region), profile=account.credentials_profile)
        config.region_id = region
        self.region = region
        self.client: Client = cloud_call(partial(Client, config), what="DataWorks client")
        self.page_size = max(1, min(100, settings.DIRECTORY_SYNC_PAGE_SIZE))

    def _all(self, action: str, ask: Callable[[int], Any], rows: Callable[[Any], list[Any]]) -> list[Any]:
        """Every row of every page: PagingInfo gives TotalCount; pages are numbered from 1."""
        found: list[Any] = []
        number = 1
        while True:
            paging = cloud_call(partial(ask, number), what=f"{action} ({self.region})").body.paging_info
            page = rows(paging) if paging else []
            found.extend(page)
            total = int(paging.total_count or 0) if paging else 0
            if not page or len(found) >= total:
                return found
            number += 1

    def _projects_page(self, number: int) -> dw.ListProjectsResponse:
        return self.client.list_projects(dw.ListProjectsRequest(page_number=number, page_size=self.page_size))

    def projects(self) -> list[Project]:
        rows = self._all("ListProjects", self._projects_page, lambda paging: paging.projects or [])
        return [
            Project(
                id=int(p.id),
                name=_text(p.name),
                display_name=_text(p.display_name),
                status=_text(p.status),
                region=self.region,
            )
            for p in rows
        ]

    def _members_page(self, project_id: int, number: int) -> dw.ListProjectMembersResponse:
        request = dw.ListProjectMembersRequest(project_id=project_id, page_number=number, page_size=self.page_size)
        return self.client.list_project_members(request)

    def members(self, project_id: int) -> list[Member]:
        ask = partial(self._members_page, project_id)
        rows = self._all("ListProjectMembers", ask, lambda paging: paging.project_members or [])
        return [
            Member(
                user_id=_text(m.user_id),
                user_name=_text(m.user_name),
                status=_text(m.status),
                roles=tuple(sorted(_text(r.code) for r in m.roles or [] if r.code)),
            )
            for m in rows
        ]
