"""The one place Alibaba Cloud clients are configured (contacts/cloud.py): endpoints, timeouts,
credentials from the chain or a named profile of the credentials file."""

import pytest
from alibabacloud_ram20150501 import models as ram
from alibabacloud_ram20150501.client import Client as RamClient
from django.core.exceptions import ImproperlyConfigured

from contacts.cloud import credential_client, endpoint_parts, sdk_config
from tests.aliyun_peer import ACCESS_KEY_ID, ACCESS_KEY_SECRET


@pytest.mark.parametrize(
    "url, parts",
    [
        ("https://ram.aliyuncs.com", ("https", "ram.aliyuncs.com")),
        ("ram.aliyuncs.com", ("https", "ram.aliyuncs.com")),
        ("http://127.0.0.1:8123", ("http", "127.0.0.1:8123")),
        ("http://127.0.0.1:8123/", ("http", "127.0.0.1:8123")),
    ],
)
def test_endpoint_urls_split_into_protocol_and_host(url, parts):
    assert endpoint_parts(url) == parts


@pytest.mark.parametrize("url", ["ftp://ram.aliyuncs.com", "https://", "https://ram.aliyuncs.com/api", ""])
def test_an_endpoint_that_is_not_a_url_is_refused_by_name(url):
    with pytest.raises(ImproperlyConfigured, match="endpoint URL"):
        endpoint_parts(url)


def test_timeouts_are_explicit_in_milliseconds(settings):
    settings.ALIBABA_CLOUD_CONNECT_TIMEOUT_SECONDS = 1.5
    settings.ALIBABA_CLOUD_READ_TIMEOUT_SECONDS = 4
    config = sdk_config("https://ram.aliyuncs.com")
    assert (config.connect_timeout, config.read_timeout) == (1500, 4000)


def test_a_named_profile_of_the_credentials_file_signs_the_requests(tmp_path, monkeypatch, aliyun_peer):
    """An account's credentials profile picks its section of the credentials file; the peer
    accepts the signature only with that profile's secret."""
    path = tmp_path / "credentials.ini"
    path.write_text(
        "[default]\ntype = access_key\naccess_key_id = other\naccess_key_secret = other-secret\n\n"
        f"[acme]\ntype = access_key\naccess_key_id = {ACCESS_KEY_ID}\naccess_key_secret = {ACCESS_KEY_SECRET}\n"
    )
    monkeypatch.setattr("alibabacloud_credentials.utils.auth_util.environment_credentials_file", str(path))
    assert credential_client("acme").get_credential().access_key_id == ACCESS_KEY_ID
    user = aliyun_peer.ram.add_user("alice")
    client = RamClient(sdk_config(f"http://{aliyun_peer.endpoint}", profile="acme"))
    assert client.get_user(ram.GetUserRequest(user_name="alice")).body.user.user_id == user["UserId"]
    wrong = RamClient(sdk_config(f"http://{aliyun_peer.endpoint}", profile="default"))
    with pytest.raises(Exception, match="InvalidAccessKeyId"):
        wrong.get_user(ram.GetUserRequest(user_name="alice"))
