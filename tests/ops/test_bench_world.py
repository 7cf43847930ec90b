"""The directory `make bench` builds (alerts/benchmarks/world.py): written with plain SQL for speed,
it must hold what the models would, and trimming it must leave the rest whole."""

import pytest

from alerts.benchmarks.world import principals_grow, principals_trim, world_create
from alerts.models import Membership
from contacts.models import ContactMethod, Language, Principal


@pytest.fixture
def world(db):
    return world_create(repeat=1)


def test_principals_grow_makes_members_with_their_methods(world):
    principals_grow(world, users=30, roles=4)
    principals_grow(world, users=36, roles=4)  # grows from where it stopped
    users = Principal.objects.filter(account=world.account, kind="user")
    assert users.count() == 36 and Principal.objects.filter(account=world.account, kind="role").count() == 4
    assert Membership.objects.filter(workspace=world.workspace).count() == 40
    seven = users.get(name="user-000007")
    assert seven.display_name == "User 7" and seven.language == Language.AUTO and seven.version == 1
    assert seven.phone.is_valid() and str(seven.phone) == "+8613900000007" and seven.email == "user7@example.com"
    assert dict(seven.contact_methods.values_list("channel", "status")) == {"phone": "activated", "email": "waiting"}
    six = users.get(name="user-000006")
    assert str(six.phone or "") == "" and six.email == "" and not six.contact_methods.exists()
    assert ContactMethod.objects.filter(channel="phone").count() == 18  # odd numbers below 36
    assert ContactMethod.objects.filter(channel="email").count() == 24  # not a multiple of 3
    assert (world.users, world.roles) == (36, 4)


def test_principals_trim_takes_away_the_last_made(world):
    principals_grow(world, users=30, roles=4)
    principals_trim(world, users=10, roles=1)
    names = set(Principal.objects.filter(account=world.account).values_list("name", flat=True))
    assert names == {f"user-{i:06}" for i in range(10)} | {"Role000000"}
    assert Membership.objects.count() == 11 and ContactMethod.objects.count() == 5 + 6
    assert (world.users, world.roles) == (10, 1)
    principals_grow(world, users=12, roles=1)
    assert Principal.objects.filter(account=world.account, kind="user").count() == 12
