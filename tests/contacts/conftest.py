import re

import pytest

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
