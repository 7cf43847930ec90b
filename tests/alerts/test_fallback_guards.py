"""Edges of the fallback chain (rules D6, with D2 and C10): an alternate contact that cannot be
reached on the channel, and a primary contact who is also the alternate."""

import pytest

from alerts.models import Delivery
from contacts.models import ContactMethod, Principal

S = Delivery.Status
R = Delivery.Role


from .test_fallback import run  # noqa: E402


def backup(demo):
    return demo["principals"][("intl", "OnCallBackup")]


def no_phone(principal):
    Principal.objects.filter(pk=principal.pk).update(phone="")
    ContactMethod.objects.filter(principal=principal, channel=ContactMethod.Channel.PHONE).delete()


def phone_not_activated(principal):
    ContactMethod.objects.filter(principal=principal, channel=ContactMethod.Channel.PHONE).update(
        status=ContactMethod.Status.WAITING_FOR_ACTIVATION, activated_at=None
    )


def mainland_landline(principal):
    Principal.objects.filter(pk=principal.pk).update(phone="+861012345678")


ALTERNATE_CANNOT_BE_TEXTED = {
    "no-phone": (no_phone, "NO_ADDRESS", ""),
    "not-activated": (phone_not_activated, "NOT_ACTIVATED", "+8613800138000"),
    "mainland-landline": (mainland_landline, "NOT_MOBILE", "+861012345678"),
}


@pytest.mark.parametrize("case", list(ALTERNATE_CANNOT_BE_TEXTED))
def test_D6_alternate_that_cannot_be_texted_ends_with_its_reason_in_the_chain(ws, demo, http_peer, case):
    """D6 (with C10, D2): the primary's number is unknown to the gateway; the alternate has no phone,
    an unactivated one, or a mainland landline. The fallback delivery is recorded, replaces the
    primary, and ends SEND_FAIL with that reason; nothing is sent to the alternate, and a text
    message does not go on to the account recipient (that is for email)."""
    change, code, address = ALTERNATE_CANNOT_BE_TEXTED[case]
    change(backup(demo))
    http_peer.scripts["/sms"] = [(404, 0), (200, 0)]
    deliveries = run(ws, ["alice"], ["sms"])
    assert [(d.role, d.channel) for d in deliveries] == [(R.PRIMARY, "sms"), (R.ALTERNATE, "sms")]
    primary, alternate = deliveries
    assert (primary.status, primary.reason_code) == (S.SEND_FAIL, "HTTP_404")
    assert alternate.replaces == primary and alternate.principal == backup(demo)
    assert (alternate.status, alternate.reason_code) == (S.SEND_FAIL, code)
    assert alternate.reason and alternate.finished_at is not None and alternate.attempts == 0
    assert alternate.address == address
    assert [b["to"] for b in http_peer.bodies("/sms")] == ["+8613900001111"]  # only the primary's try


def test_D6_alternate_without_email_sends_the_email_on_to_the_account_recipient(ws, demo, smtp):
    """D6: the primary's address is refused and the alternate has no email address: the chain is
    primary → alternate (NO_ADDRESS) → Basic Receiving Management recipient, who gets the email."""
    Principal.objects.filter(pk=backup(demo).pk).update(email="")
    ContactMethod.objects.filter(principal=backup(demo), channel=ContactMethod.Channel.EMAIL).delete()
    smtp.refuse.add("alice@example.com")
    primary, alternate, account = run(ws, ["alice"], ["email"])
    assert [d.role for d in (primary, alternate, account)] == [R.PRIMARY, R.ALTERNATE, R.ACCOUNT_RECIPIENT]
    assert (alternate.status, alternate.reason_code, alternate.replaces) == (S.SEND_FAIL, "NO_ADDRESS", primary)
    assert account.replaces == alternate and account.status == S.SEND_SUCCESS
    assert [m[0] for m in smtp.messages] == [["billing@example.com"]]
    assert "did not receive it" in smtp.messages[0][1]


def test_D6_primary_who_is_also_the_alternate_is_not_sent_twice_email(ws, demo, smtp):
    """D6: when the primary contact is the workspace's alternate too, a refused email is not tried
    on the same person again: it goes on to the account's Basic Receiving Management recipient."""
    alice = demo["principals"][("intl", "alice")]
    ws.alternate_contact = alice
    ws.save()
    smtp.refuse.add("alice@example.com")
    deliveries = run(ws, ["alice"], ["email"])
    assert [d.role for d in deliveries] == [R.PRIMARY, R.ACCOUNT_RECIPIENT]
    primary, account = deliveries
    assert primary.status == S.SEND_FAIL and account.replaces == primary and account.status == S.SEND_SUCCESS
    assert not Delivery.objects.filter(principal=alice, role=R.ALTERNATE).exists()
    assert [m[0] for m in smtp.messages] == [["billing@example.com"]]


def test_D6_primary_who_is_also_the_alternate_is_not_sent_twice_sms(ws, demo, http_peer):
    """D6: the same for a text message: the number is unknown, the alternate is the same person, so
    the chain ends with the primary; the gateway is asked once."""
    ws.alternate_contact = demo["principals"][("intl", "alice")]
    ws.save()
    http_peer.scripts["/sms"] = [(404, 0), (200, 0)]
    deliveries = run(ws, ["alice"], ["sms"])
    assert [(d.role, d.status) for d in deliveries] == [(R.PRIMARY, S.SEND_FAIL)]
    assert len(http_peer.bodies("/sms")) == 1
