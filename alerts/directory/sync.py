"""The directory sync: an account's RAM users and RAM roles, the AliyunDataWorksFullAccess policy,
its DataWorks workspaces and their members, read from Alibaba Cloud and written to the console
(C14).

Everything is read first (ram.py, dataworks.py); only then is it written, in one transaction per
account, so a sync that fails at any call changes nothing for that account. Running it again with
nothing changed in the cloud changes nothing here. A principal or workspace that the cloud no
longer lists is marked removed, never deleted: its alerts and history stay. Phone numbers and
email addresses from RAM go to the account's RAM directory (RamDirectoryEntry) and reach the
contact at its next sign-in through the contact rules (C12), never straight onto the contact.
"""

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone, translation

from contacts.models import Account, DirectorySyncResult, Principal, RamDirectoryEntry
from contacts.versioning import DIRECTORY_SYNC_REASON, history_author_set

from ..models import FULL_ACCESS_POLICY, Membership, PolicyAttachment, Region, Workspace
from .dataworks import DataWorksReader, Member, Project
from .errors import DirectoryError, DirectorySyncOff, UnexpectedError
from .ram import RamReader, RamRole, RamUser

logger = logging.getLogger(__name__)

Progress = Callable[[str], None]
KINDS = ("users", "roles", "workspaces", "members", "policies")
ROLE_MEMBER_PREFIX = "ROLE_"


@dataclass
class Counts:
    added: int = 0
    changed: int = 0
    removed: int = 0


@dataclass
class SyncSummary:
    """How many of each kind the sync added, changed and marked removed (or deleted, for
    memberships and policy attachments)."""

    counts: dict[str, Counts] = field(default_factory=lambda: {kind: Counts() for kind in KINDS})

    def __getitem__(self, kind: str) -> Counts:
        return self.counts[kind]

    def as_dict(self) -> dict[str, dict[str, int]]:
        return {kind: vars(counts).copy() for kind, counts in self.counts.items()}

    @property
    def changed_anything(self) -> bool:
        return any(c.added or c.changed or c.removed for c in self.counts.values())

    def text(self) -> str:
        """One line, e.g. `users +2 ~1 -0, roles +0 ~0 -0, …` (added, changed, removed)."""
        return ", ".join(f"{kind} +{c.added} ~{c.changed} -{c.removed}" for kind, c in self.counts.items())


@dataclass
class Snapshot:
    """What the cloud says about one account, read before anything is written."""

    users: list[RamUser]
    roles: list[RamRole]
    # (kind, name) of the principals with AliyunDataWorksFullAccess attached.
    full_access: set[tuple[str, str]]
    # region code -> its workspaces; workspace id -> its members.
    projects: dict[str, list[Project]]
    members: dict[int, list[Member]]


def _quiet(line: str) -> None:
    pass


# ---- reading ------------------------------------------------------------------------------------


def directory_read(*, account: Account, progress: Progress = _quiet) -> Snapshot:
    """Everything the sync needs from RAM and DataWorks; raises a DirectoryError at the first
    call that fails (throttled calls are tried again first)."""
    reader = RamReader(account)
    users = reader.users()
    progress(f"  RAM users: {len(users)}")
    roles = reader.roles()
    progress(f"  RAM roles: {len(roles)}")
    full_access = {
        (Principal.Kind.USER.value, u.name) for u in users if FULL_ACCESS_POLICY in reader.user_policies(u.name)
    }
    full_access |= {
        (Principal.Kind.ROLE.value, r.name) for r in roles if FULL_ACCESS_POLICY in reader.role_policies(r.name)
    }
    progress(f"  {FULL_ACCESS_POLICY}: {len(full_access)} of {len(users) + len(roles)} users and roles")
    projects: dict[str, list[Project]] = {}
    members: dict[int, list[Member]] = {}
    for code in Region.objects.values_list("code", flat=True):
        workspaces = DataWorksReader(account, code)
        found = [p for p in workspaces.projects() if p.id not in members]  # an id belongs to one region
        for project in found:
            members[project.id] = workspaces.members(project.id)
        projects[code] = found
        progress(f"  DataWorks {code}: {len(found)} workspaces, {sum(len(members[p.id]) for p in found)} members")
    return Snapshot(users=users, roles=roles, full_access=full_access, projects=projects, members=members)


# ---- writing ------------------------------------------------------------------------------------


class _Principals:
    """The account's principals, found by RAM id first (a RAM user keeps its id when renamed),
    then by type and name; `listed` holds the ones RAM lists now."""

    def __init__(self, account: Account) -> None:
        self.account = account
        self.all = list(Principal.objects.filter(account=account).order_by("pk"))
        self.by_ram_id = {(p.kind, p.ram_id): p for p in self.all if p.ram_id}
        self.by_name = {(p.kind, p.name): p for p in self.all}
        self.listed: dict[int, Principal] = {}
        self.entries = {(e.kind, e.name): e for e in RamDirectoryEntry.objects.filter(account=account)}

    def find(self, kind: str, ram_id: str, name: str) -> Principal | None:
        found = self.by_ram_id.get((kind, ram_id)) if ram_id else None
        if found is None:
            found = self.by_name.get((kind, name))
            if found is not None and found.ram_id and ram_id and found.ram_id != ram_id:
                found = None  # that name now belongs to another RAM identity: a new one
        return found if found is not None and found.pk not in self.listed else None

    def add(self, principal: Principal) -> None:
        if principal not in self.all:
            self.all.append(principal)
        self.by_name[(principal.kind, principal.name)] = principal
        if principal.ram_id:
            self.by_ram_id[(principal.kind, principal.ram_id)] = principal

    def rename(self, principal: Principal, name: str) -> None:
        """Give `principal` the name `name` (its RAM directory entry follows). Another principal
        holding that name, a RAM identity deleted since and its name reused, gives it up first:
        it becomes `name#<its RAM id>`."""
        holder = self.by_name.get((principal.kind, name))
        if holder is not None and holder is not principal:
            self.rename(holder, f"{name}#{holder.ram_id or holder.pk}"[:128])
        old = principal.name
        if principal.pk is not None:
            Principal.objects.filter(pk=principal.pk).update(name=name)
            entry = self.entries.pop((principal.kind, old), None)
            if entry is not None and (principal.kind, name) not in self.entries:
                RamDirectoryEntry.objects.filter(pk=entry.pk).update(name=name)
                entry.name = name
                self.entries[(principal.kind, name)] = entry
        if self.by_name.get((principal.kind, old)) is principal:
            del self.by_name[(principal.kind, old)]
        principal.name = name
        self.by_name[(principal.kind, name)] = principal

    def for_member(self, member: Member) -> Principal | None:
        """The listed principal a DataWorks member stands for; None for the account owner and
        for anyone RAM does not list."""
        user_id = member.user_id.removeprefix(ROLE_MEMBER_PREFIX)
        kinds = (Principal.Kind.USER, Principal.Kind.ROLE)
        by_id = [self.by_ram_id[(kind, user_id)] for kind in kinds if (kind, user_id) in self.by_ram_id]
        # By login name only when the id names nobody known: an id of a principal removed from
        # RAM must not hand its membership to a newcomer that reuses the name.
        found = by_id or [
            self.by_name[(kind, member.user_name)] for kind in kinds if (kind, member.user_name) in self.by_name
        ]
        return next((p for p in found if p.pk in self.listed), None)


def _principal_upsert(
    principals: _Principals, *, kind: str, ram_id: str, name: str, display_name: str
) -> tuple[Principal, str | None]:
    """The principal of one RAM user or role, created or brought up to date: (principal, what
    happened: "added", "changed" or None)."""
    principal = principals.find(kind, ram_id, name)
    if principal is None:
        principal = Principal(account=principals.account, kind=kind, name="", display_name=display_name, ram_id=ram_id)
        principals.rename(principal, name)
        history_author_set(principal, by=None, reason=DIRECTORY_SYNC_REASON)
        principal.save()
        principals.add(principal)
        return principal, "added"
    outcome = None
    # Columns that no edit form shows: written without a new version (contacts.versioning).
    columns: dict[str, str] = {}
    if ram_id and principal.ram_id != ram_id:
        columns["ram_id"] = ram_id
    if display_name and principal.display_name != display_name:
        columns["display_name"] = display_name
    if principal.name != name:  # renamed in RAM (same RAM id)
        principals.rename(principal, name)
        outcome = "changed"
    if columns:
        Principal.objects.filter(pk=principal.pk).update(**columns)
        for column, value in columns.items():
            setattr(principal, column, value)
        principals.add(principal)
        outcome = "changed"
    if principal.removed_at is not None:  # back in RAM
        principal.removed_at = None
        history_author_set(principal, by=None, reason=DIRECTORY_SYNC_REASON)
        principal.save(update_fields=["removed_at"])
        outcome = "added"
    return principal, outcome


def _entry_set(principals: _Principals, *, kind: str, name: str, display_name: str, phone: str, email: str) -> bool:
    """The RAM directory's record of one principal (C12): what its next sign-in applies. True if
    it was created or changed."""
    entry = principals.entries.get((kind, name))
    if entry is None:
        principals.entries[(kind, name)] = RamDirectoryEntry.objects.create(
            account=principals.account, kind=kind, name=name, display_name=display_name, phone=phone, email=email
        )
        return True
    if (entry.display_name, entry.phone, entry.email) == (display_name, phone, email):
        return False
    entry.display_name, entry.phone, entry.email = display_name, phone, email
    entry.save(update_fields=["display_name", "phone", "email", "updated_at"])
    return True


def _principals_apply(*, account: Account, snapshot: Snapshot, summary: SyncSummary, now: datetime) -> _Principals:
    principals = _Principals(account)
    records = [
        ("users", Principal.Kind.USER.value, u.user_id, u.name, u.display_name, u.mobile_phone, u.email)
        for u in snapshot.users
    ]
    records += [("roles", Principal.Kind.ROLE.value, r.role_id, r.name, "", "", "") for r in snapshot.roles]
    for counted_as, kind, ram_id, name, display_name, phone, email in records:
        if not name:
            continue
        principal, outcome = _principal_upsert(
            principals, kind=kind, ram_id=ram_id, name=name, display_name=display_name
        )
        principals.listed[principal.pk] = principal
        entry_changed = _entry_set(
            principals, kind=kind, name=principal.name, display_name=display_name, phone=phone, email=email
        )
        if outcome == "added":
            summary[counted_as].added += 1
        elif outcome == "changed" or entry_changed:
            summary[counted_as].changed += 1
    for principal in principals.all:
        if principal.pk not in principals.listed and principal.removed_at is None:
            principal.removed_at = now
            history_author_set(principal, by=None, reason=DIRECTORY_SYNC_REASON)
            principal.save(update_fields=["removed_at"])
            summary["users" if principal.kind == Principal.Kind.USER else "roles"].removed += 1
    return principals


def _policies_apply(*, account: Account, snapshot: Snapshot, principals: _Principals, summary: SyncSummary) -> None:
    """AliyunDataWorksFullAccess attachments follow RAM; other policy rows are left alone."""
    wanted = {p.pk for p in principals.listed.values() if (p.kind, p.name) in snapshot.full_access}
    attached = PolicyAttachment.objects.filter(principal__account=account, policy_name=FULL_ACCESS_POLICY)
    have = set(attached.values_list("principal_id", flat=True))
    PolicyAttachment.objects.bulk_create(
        [PolicyAttachment(principal_id=pk, policy_name=FULL_ACCESS_POLICY) for pk in sorted(wanted - have)]
    )
    removed, _ = attached.exclude(principal_id__in=wanted).delete()
    summary["policies"].added += len(wanted - have)
    summary["policies"].removed += removed


def _workspace_name(*, existing: list[Workspace], seen: set[int], workspace: Workspace | None, project: Project) -> str:
    """The name a workspace takes: the project's. A workspace of the account that holds it and
    DataWorks no longer lists (deleted, its name reused) gives it up, becoming `name#<its id>`;
    one listed in another region keeps it, and this one is `name@<region>`."""
    holder = next((w for w in existing if w.name == project.name and w is not workspace), None)
    if holder is None:
        return project.name
    if holder.pk in seen:
        return f"{project.name}@{project.region}"[:64]
    holder.name = f"{project.name}#{holder.dataworks_id or holder.pk}"[:64]
    holder.save(update_fields=["name"])
    return project.name


def _workspace_upsert(
    *, account: Account, existing: list[Workspace], region: Region, project: Project, seen: set[int]
) -> tuple[Workspace, str | None]:
    workspace = next((w for w in existing if w.dataworks_id == project.id), None) or next(
        (w for w in existing if w.pk not in seen and w.dataworks_id is None and w.name == project.name), None
    )
    if workspace is None:
        workspace = Workspace(
            account=account,
            region=region,
            name=_workspace_name(existing=existing, seen=seen, workspace=None, project=project),
            display_name=project.display_name,
            dataworks_id=project.id,
        )
        workspace.save()
        existing.append(workspace)
        return workspace, "added"
    wanted: dict[str, object] = {
        "dataworks_id": project.id,
        "region_id": region.pk,
        "display_name": project.display_name,
    }
    if workspace.name != project.name and not workspace.name.startswith(f"{project.name}@"):
        wanted["name"] = _workspace_name(existing=existing, seen=seen, workspace=workspace, project=project)
    if workspace.removed_at is not None:
        wanted["removed_at"] = None
    changed = [column for column, value in wanted.items() if getattr(workspace, column) != value]
    if not changed:
        return workspace, None
    for column in changed:
        setattr(workspace, column, wanted[column])
    workspace.save(update_fields=["region" if column == "region_id" else column for column in changed])
    return workspace, "added" if "removed_at" in changed else "changed"


def _members_apply(
    *, workspace: Workspace, members: Iterable[Member], principals: _Principals, summary: SyncSummary
) -> tuple[int, bool]:
    """The workspace's memberships as DataWorks lists them: (members skipped, alternate cleared)."""
    wanted: dict[int, list[str]] = {}
    skipped = 0
    for member in members:
        principal = principals.for_member(member) if member.is_active else None
        if principal is None:
            skipped += member.is_active
            continue
        wanted.setdefault(principal.pk, sorted(set(member.roles)))
    current = {m.principal_id: m for m in Membership.objects.filter(workspace=workspace)}
    for principal_id, roles in wanted.items():
        membership = current.get(principal_id)
        if membership is None:
            Membership.objects.create(workspace=workspace, principal_id=principal_id, dataworks_roles=roles)
            summary["members"].added += 1
        elif membership.dataworks_roles != roles:
            Membership.objects.filter(pk=membership.pk).update(dataworks_roles=roles)
            summary["members"].changed += 1
    gone = [m.pk for principal_id, m in current.items() if principal_id not in wanted]
    if gone:
        Membership.objects.filter(pk__in=gone).delete()
        summary["members"].removed += len(gone)
    # C11: the alternate alert contact is a member of the workspace.
    if workspace.alternate_contact_id is not None and workspace.alternate_contact_id not in wanted:
        workspace.alternate_contact = None
        workspace.save(update_fields=["alternate_contact"])
        return skipped, True
    return skipped, False


def _workspaces_apply(
    *, account: Account, snapshot: Snapshot, principals: _Principals, summary: SyncSummary, now: datetime
) -> int:
    """Workspaces and their members; returns how many DataWorks members matched no RAM principal."""
    existing = list(Workspace.objects.filter(account=account).order_by("pk"))
    regions = {r.code: r for r in Region.objects.filter(code__in=snapshot.projects)}
    seen: set[int] = set()
    skipped = 0
    for code, projects in snapshot.projects.items():
        for project in projects:
            workspace, outcome = _workspace_upsert(
                account=account, existing=existing, region=regions[code], project=project, seen=seen
            )
            seen.add(workspace.pk)
            unknown, alternate_cleared = _members_apply(
                workspace=workspace, members=snapshot.members[project.id], principals=principals, summary=summary
            )
            skipped += unknown
            if outcome == "added":
                summary["workspaces"].added += 1
            elif outcome == "changed" or alternate_cleared:
                summary["workspaces"].changed += 1
    for workspace in existing:
        if workspace.pk in seen or workspace.removed_at is not None:
            continue
        workspace.removed_at = now
        workspace.save(update_fields=["removed_at"])
        removed, _ = Membership.objects.filter(workspace=workspace).delete()
        summary["members"].removed += removed
        summary["workspaces"].removed += 1
    return skipped


def directory_apply(*, account: Account, snapshot: Snapshot, progress: Progress = _quiet) -> SyncSummary:
    """Write what was read, in one transaction, the account's row locked against a concurrent sync."""
    summary = SyncSummary()
    now = timezone.now()
    with transaction.atomic():
        Account.objects.select_for_update().filter(pk=account.pk).first()
        principals = _principals_apply(account=account, snapshot=snapshot, summary=summary, now=now)
        _policies_apply(account=account, snapshot=snapshot, principals=principals, summary=summary)
        skipped = _workspaces_apply(account=account, snapshot=snapshot, principals=principals, summary=summary, now=now)
        _state_record(account=account, result=DirectorySyncResult.OK, message=summary.text(), summary=summary)
    if skipped:
        progress(f"  {skipped} workspace members are not RAM users or roles of the account (e.g. its owner): skipped")
    return summary


def _state_record(*, account: Account, result: str, message: str, summary: SyncSummary | None = None) -> None:
    state: dict[str, object] = {
        "directory_synced_at": timezone.now(),
        "directory_sync_result": result,
        "directory_sync_message": message[:500],
    }
    if summary is not None:
        state["directory_sync_summary"] = summary.as_dict()
    Account.objects.filter(pk=account.pk).update(**state)
    for column, value in state.items():
        setattr(account, column, value)


def _failure_record(*, account: Account, error: DirectoryError) -> None:
    """The failure, in the console's own language whoever asked for the sync."""
    with translation.override(settings.LANGUAGE_CODE):
        _state_record(account=account, result=DirectorySyncResult.FAILED, message=error.text)


def directory_sync(*, account: Account, progress: Progress | None = None) -> SyncSummary:
    """Sync one account's directory and workspaces from Alibaba Cloud (C14) and record the
    outcome on the account. Raises DirectorySyncOff for an account that is not connected, and a
    DirectoryError naming what failed (nothing of the account changed then)."""
    say = progress or _quiet
    if not account.directory_sync_enabled:
        raise DirectorySyncOff()
    try:
        snapshot = directory_read(account=account, progress=say)
        return directory_apply(account=account, snapshot=snapshot, progress=say)
    except DirectoryError as error:
        logger.warning("Directory sync of account %s failed: %s", account.uid, error.text)
        _failure_record(account=account, error=error)
        raise
    except Exception as error:
        logger.exception("Directory sync of account %s failed", account.uid)
        unexpected = UnexpectedError(type(error).__name__)
        _failure_record(account=account, error=unexpected)
        raise unexpected from error


def accounts_due(*, now: datetime | None = None) -> QuerySet[Account]:
    """Accounts whose directory sync is on and whose last sync (good or failed) is older than
    DIRECTORY_SYNC_INTERVAL_SECONDS; none when the periodic sync is off (0)."""
    interval = settings.DIRECTORY_SYNC_INTERVAL_SECONDS
    if interval <= 0:
        return Account.objects.none()
    since = (now or timezone.now()) - timedelta(seconds=interval)
    return Account.objects.filter(directory_sync_enabled=True).filter(
        Q(directory_synced_at__isnull=True) | Q(directory_synced_at__lte=since)
    )
