import re

import pytest
from django.urls import reverse

from contacts.models import Principal


@pytest.fixture
def demo(demo):
    """The demo data with blank contacts and no alternate contact: these tests set them."""
    from alerts.models import Workspace
    from contacts.models import ContactMethod

    ContactMethod.objects.all().delete()
    Principal.objects.update(phone="", email="", language="auto")
    Workspace.objects.update(alternate_contact=None)
    return demo


@pytest.fixture
def alice(demo):
    return Principal.objects.get(account__name="demo-intl", name="alice")


@pytest.fixture
def cn_dev(demo):
    return Principal.objects.get(account__name="demo-cn", name="cn-dev")


@pytest.fixture
def admin_user(demo, django_user_model):
    return django_user_model.objects.get(username="dw-admin")


LINK = re.compile(r"http://testserver(/activate/[^/\s]+/[^/\s]+/)")


def link_in(text):
    """The activation path in a message body."""
    match = LINK.search(text)
    assert match, text
    return match.group(1)


CONFIRM = re.compile(r"^/activate/[^/]+/confirm/$")


def open_link(client, path):
    """Open an activation link as a browser does: a working link's GET keeps its token in the
    session and redirects to the confirm page, whose address holds no token (C9). Returns the
    final answer; a link that no longer works answers at once."""
    response = client.get(path)
    if response.status_code != 302:
        return response
    location = response["Location"]
    assert CONFIRM.match(location), location
    page = client.get(location)
    page.confirm_url = location
    return page


def confirm_link(client, path):
    """Open an activation link and press Activate: the POST goes to the token-less confirm URL."""
    page = open_link(client, path)
    if page.status_code != 200:
        return page
    return client.post(page.confirm_url)


def admin_principal_change(client, principal, *, methods=(), **fields):
    """POST the Django admin's change form of `principal` with `fields` (phone, email, language,
    display_name …) over its current values, and the inline contact methods `methods` unchanged."""
    data = {
        "account": principal.account_id,
        "kind": principal.kind,
        "name": principal.name,
        "display_name": principal.display_name,
        "phone": str(principal.phone or ""),
        "email": principal.email,
        "language": principal.language,
        "contact_methods-TOTAL_FORMS": len(methods),
        "contact_methods-INITIAL_FORMS": len(methods),
        "contact_methods-MIN_NUM_FORMS": 0,
        "contact_methods-MAX_NUM_FORMS": 1000,
        **{f"contact_methods-{i}-id": m.pk for i, m in enumerate(methods)},
        **{f"contact_methods-{i}-principal": principal.pk for i in range(len(methods))},
        **fields,
    }
    return client.post(reverse("admin:contacts_principal_change", args=[principal.pk]), data)
