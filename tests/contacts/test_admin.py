"""Support staff in the Django admin (rules C13)."""

import pytest
from django.urls import reverse

from contacts.models import ContactMethod, Principal
from contacts.services import contact_update

from .conftest import admin_principal_change


@pytest.fixture
def support(demo, client, django_user_model):
    client.force_login(django_user_model.objects.get(username="support"))
    return client


@pytest.fixture
def contacts(demo):
    intl = {p.name: p for p in Principal.objects.filter(account__name="demo-intl")}
    contact_update(principal=intl["alice"], phone="+8613912345678", email="alice@example.com", language="auto")
    contact_update(principal=intl["bob"], phone="+85291234567", email="", language="en")
    ContactMethod.objects.filter(principal=intl["bob"]).update(status="activated")
    return intl


@pytest.mark.parametrize(
    "term, found",
    [
        ("alice", "alice"),
        ("Alice Wang", "alice"),
        ("13912345678", "alice"),
        ("+852 9123 4567", "bob"),
        ("alice@example", "alice"),
    ],
)
def test_C13_search_by_name_phone_or_email(support, contacts, term, found):
    response = support.get(reverse("admin:contacts_principal_changelist"), {"q": term})
    assert response.status_code == 200
    assert [p.name for p in response.context["cl"].result_list] == [found]


@pytest.mark.parametrize(
    "params, expected",
    [
        ({"status": "waiting"}, {"alice"}),
        ({"status": "activated"}, {"bob"}),
        ({"account__site__exact": "china"}, {"cn-dev", "cn-ops"}),
    ],
)
def test_C13_filters(support, contacts, params, expected):
    response = support.get(reverse("admin:contacts_principal_changelist"), params)
    names = {p.name for p in response.context["cl"].result_list}
    assert expected <= names
    if "status" in params:
        assert names == expected


def test_C13_filter_by_workspace(support, contacts, demo):
    response = support.get(
        reverse("admin:contacts_principal_changelist"),
        {"memberships__workspace__id__exact": demo["workspaces"]["analytics_sg"].pk},
    )
    assert {p.name for p in response.context["cl"].result_list} == {"dw-admin", "outsider", "carol", "DataOpsRole"}


def test_C13_resend_action(support, contacts, mailoutbox, sms_outbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = support.post(
            reverse("admin:contacts_principal_changelist"),
            {"action": "resend_activation_links", "_selected_action": [contacts["alice"].pk, contacts["bob"].pk]},
            follow=True,
        )
    assert "2 activation links sent." in response.content.decode()
    assert [m.to for m in mailoutbox] == [["alice@example.com"]]
    assert [m.to for m in sms_outbox] == ["+8613912345678"]  # bob is activated: nothing to resend


def test_C13_history_shows_who_when_old_and_new(support, contacts, django_user_model):
    alice = contacts["alice"]
    response = admin_principal_change(
        support,
        alice,
        methods=list(alice.contact_methods.order_by("pk")),
        display_name="Alice Wang",
        phone="8613900001111",
        email="alice@example.com",
        language="en",
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    alice.refresh_from_db()
    assert str(alice.phone) == "+8613900001111"
    newest = alice.history.latest()
    assert newest.history_user.username == "support"
    assert str(newest.prev_record.phone) == "+8613912345678" and str(newest.phone) == "+8613900001111"
    page = support.get(reverse("admin:contacts_principal_history", args=[alice.pk])).content.decode()
    assert "support" in page and "+8613900001111" in page


def test_C13_C4_admin_refuses_a_national_number(support, contacts):
    alice = contacts["alice"]
    response = admin_principal_change(support, alice, phone="13912345678", email="", language="auto")
    assert response.status_code == 200 and "8613912345678" in response.content.decode()
    alice.refresh_from_db()
    assert str(alice.phone) == "+8613912345678"


def test_C13_admin_pages_open(support, contacts):
    for name in [
        "contacts_principal",
        "contacts_contactmethod",
        "contacts_activationmessage",
        "contacts_ramdirectoryentry",
        "contacts_account",
        "alerts_workspace",
        "alerts_identity",
    ]:
        assert support.get(reverse(f"admin:{name}_changelist")).status_code == 200


def test_C13_the_admin_index_names_every_app_in_chinese(support, contacts):
    """django-tasks-db names its app in plain English; the support admin shows it translated."""
    support.post(reverse("set_language"), {"language": "zh-hans"})
    page = support.get(reverse("admin:index")).content.decode()
    assert "后台任务" in page and "Tasks Database Backend" not in page
