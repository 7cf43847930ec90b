import re

import pytest

from contacts.models import Principal


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
