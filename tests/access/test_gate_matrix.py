"""The gate matrix: every demo sign-in × every gated page (rules A1, A2, A4)."""

import pytest
from django.urls import reverse

SIGN_INS = [
    "owner",
    "dw-admin",
    "tenant-admin",
    "security-admin",
    "alert-admin",
    "contacts-viewer",
    "developer",
    "outsider",
    "cn-owner",
    None,
]

# Who may open the Alert Contacts pages of each workspace. Everyone else signed in gets 403,
# anonymous visitors are redirected to sign in.
ALLOWED = {
    "demo_workspace": {"owner", "dw-admin", "tenant-admin", "security-admin", "alert-admin", "contacts-viewer"},
    "analytics_sg": {"owner", "dw-admin", "outsider"},
    "cn_workspace": {"cn-owner"},
}
GATED_PAGES = ["contacts:ram_users", "contacts:ram_roles"]


# The page's argument is not named `page`: that is pytest-playwright's fixture for a browser tab.
@pytest.mark.parametrize("url_name", GATED_PAGES)
@pytest.mark.parametrize("workspace_name", list(ALLOWED))
@pytest.mark.parametrize("username", SIGN_INS)
def test_A1_A2_A4_gate_matrix(demo, sign_in, username, workspace_name, url_name):
    workspace = demo["workspaces"][workspace_name]
    url = reverse(url_name, args=[workspace.pk])
    response = sign_in(username).get(url)
    if username is None:
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))
    elif username in ALLOWED[workspace_name]:
        assert response.status_code == 200
        assert workspace.name in response.content.decode()
    else:
        assert response.status_code == 403
        body = response.content.decode()
        assert "AliyunDataWorksFullAccess" in body  # A4: the page names the roles that grant access
        assert workspace.name not in body  # and nothing of the workspace itself


@pytest.mark.parametrize("username", ["owner", "dw-admin", "cn-owner"])
def test_A4_unknown_workspace_id_answers_like_a_forbidden_one(demo, sign_in, username):
    response = sign_in(username).get(reverse("contacts:ram_users", args=[999999]))
    assert response.status_code == 403


def test_A2_cross_account_owner_cannot_reach_other_account(demo, sign_in):
    """A2: the China-site owner owns every workspace of its own account, none of another's."""
    client = sign_in("cn-owner")
    for name in ["demo_workspace", "analytics_sg"]:
        assert client.get(reverse("contacts:ram_users", args=[demo["workspaces"][name].pk])).status_code == 403
    assert client.get(reverse("contacts:ram_users", args=[demo["workspaces"]["cn_workspace"].pk])).status_code == 200


def test_A4_cross_account_list_never_shows_other_account_principals(demo, sign_in):
    response = sign_in("cn-owner").get(reverse("contacts:ram_users", args=[demo["workspaces"]["cn_workspace"].pk]))
    body = response.content.decode()
    assert "cn-dev" in body
    assert "dw-admin" not in body and "alice" not in body


@pytest.mark.parametrize("username", [u for u in SIGN_INS if u])
def test_T1_management_center_lists_only_visible_workspaces(demo, sign_in, username):
    response = sign_in(username).get(reverse("alerts:management_center"))
    assert response.status_code == 200
    body = response.content.decode()
    if username == "cn-owner":
        assert "cn_workspace" in body and "demo_workspace" not in body
    else:
        assert "cn_workspace" not in body
    if username == "outsider":
        assert "demo_workspace" not in body


def test_A4_anonymous_management_center_redirects_to_sign_in(db, client):
    response = client.get(reverse("alerts:management_center"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
