"""An account connected to the local Alibaba Cloud peer (tests/aliyun_peer.py): its credentials
profile signs with the peer's AccessKey, RAM and DataWorks endpoints point at the peer."""

import pytest

from alerts.models import Region
from contacts.models import Account
from tests.aliyun_peer import ACCESS_KEY_ID, ACCESS_KEY_SECRET, AliyunPeer, aliyun_peer  # noqa: F401

PROFILES = f"""[peer]
type = access_key
access_key_id = {ACCESS_KEY_ID}
access_key_secret = {ACCESS_KEY_SECRET}

[unknown-key]
type = access_key
access_key_id = LTAI-unknown
access_key_secret = whatever

[wrong-secret]
type = access_key
access_key_id = {ACCESS_KEY_ID}
access_key_secret = not-the-secret
"""


def point_at(settings, peer: AliyunPeer, regions: dict[str, AliyunPeer] | None = None) -> None:
    settings.ALIBABA_CLOUD_RAM_ENDPOINT = f"http://{peer.endpoint}"
    settings.ALIBABA_CLOUD_DATAWORKS_ENDPOINT = f"http://{peer.endpoint}"
    settings.ALIBABA_CLOUD_DATAWORKS_REGION_ENDPOINTS = {
        code: f"http://{regional.endpoint}" for code, regional in (regions or {}).items()
    }


@pytest.fixture
def cloud(aliyun_peer, settings, tmp_path, monkeypatch):  # noqa: F811
    """The peer, with the product's settings pointed at it; throttled calls retried at once."""
    path = tmp_path / "credentials.ini"
    path.write_text(PROFILES)
    monkeypatch.setattr("alibabacloud_credentials.utils.auth_util.environment_credentials_file", str(path))
    point_at(settings, aliyun_peer)
    settings.ALIBABA_CLOUD_CONNECT_TIMEOUT_SECONDS = 1
    settings.ALIBABA_CLOUD_READ_TIMEOUT_SECONDS = 3
    settings.DIRECTORY_SYNC_RETRY_BASE_SECONDS = 0
    settings.DIRECTORY_SYNC_MAX_ATTEMPTS = 3
    return aliyun_peer


@pytest.fixture
def hangzhou(db):
    return Region.objects.get_or_create(code="cn-hangzhou", defaults={"name": "China (Hangzhou)"})[0]


@pytest.fixture
def account(hangzhou):
    """An account connected to Alibaba Cloud (the peer), in one region."""
    return Account.objects.create(
        name="acme",
        uid="1888000000000001",
        site=Account.Site.CHINA,
        credentials_profile="peer",
        directory_sync_enabled=True,
    )


@pytest.fixture
def directory(cloud):
    """A small RAM directory and one workspace: alice (full access, workspace admin), bob
    (developer), the role OnCall (member), and the account owner as a member too."""
    ram, dataworks = cloud.ram, cloud.dataworks
    users = {
        "alice": ram.add_user(
            "alice", display_name="Alice Wang", email="alice@example.com", mobile_phone="86-13912345678"
        ),
        "bob": ram.add_user("bob", display_name="Bob Chan", email="bob@example.com"),
    }
    role = ram.add_role("OnCall", description="值班")
    ram.attach_policy("AliyunDataWorksFullAccess", user="alice")
    ram.attach_policy("AliyunOSSReadOnlyAccess", user="bob")
    project = dataworks.add_project("alerts_prod", display_name="告警生产")
    dataworks.add_member(
        project["Id"], users["alice"]["UserId"], user_name="alice", roles={"role_project_admin": "空间管理员"}
    )
    dataworks.add_member(project["Id"], users["bob"]["UserId"], user_name="bob", roles={"role_project_dev": "开发"})
    dataworks.add_member(project["Id"], f"ROLE_{role['RoleId']}", user_name="OnCall")
    dataworks.add_member(project["Id"], dataworks.owner, user_name="owner", roles={"role_project_owner": "项目所有者"})
    return {"users": users, "role": role, "project": project}
