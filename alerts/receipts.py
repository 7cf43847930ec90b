"""Delivery receipts: the provider's word on whether a text message or call it took reached the
phone (D6, D8). A delivery the provider took is *accepted by the provider*; its receipt makes it
*delivered to the phone* (with the time) or *not delivered* (with the operator's code and message).

Receipts arrive pushed by the provider (the API's receipt endpoints) or asked for by the worker's
periodic sweep (receipts_poll) for deliveries still without one RECEIPT_POLL_AFTER_SECONDS after
sending, until RECEIPT_POLL_DEADLINE_SECONDS after sending. Either way they go through
receipt_apply: the first receipt of a delivery is kept, any later one changes nothing. A receipt
saying the number is wrong counts as incorrect contact information: the delivery fails as
INCORRECT_CONTACT and the alert goes on along the fallback chain (D6), as when sending refuses it.

What a provider's receipt means (its codes, its fields) is the transport's knowledge
(contacts.messaging); this module only matches receipts to deliveries and records them."""

import enum
import logging
from collections.abc import Iterable
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from contacts.messaging import Receipt, transport_for
from contacts.messaging.failures import DeliveryError

from .dispatch import NO_WAKEUPS, Wakeups
from .models import Channel, Delivery
from .routing import fallback_create

logger = logging.getLogger(__name__)
Status = Delivery.Status
ReceiptStatus = Delivery.ReceiptStatus
RECEIPT_CHANNELS = (Channel.SMS, Channel.VOICE)
OPEN = (ReceiptStatus.NONE, ReceiptStatus.ACCEPTED)


class Outcome(enum.StrEnum):
    APPLIED = "applied"
    DUPLICATE = "duplicate"  # the delivery has its receipt already: nothing changes
    UNKNOWN = "unknown"  # no delivery has this provider id: ignored (logged)


def receipt_apply(*, channel: str, receipt: Receipt, wakeups: Wakeups = NO_WAKEUPS) -> Outcome:
    """Record `receipt` on the delivery of `channel` that the provider knows by its id."""
    with transaction.atomic():
        delivery = (
            Delivery.objects.filter(channel=channel, provider_message_id=receipt.provider_id)
            .select_related("alert__workspace__alternate_contact")
            .first()
        )
        if delivery is None:
            logger.warning(
                "Receipt for an unknown %s message %s (OutId %r) ignored", channel, receipt.provider_id, receipt.out_id
            )
            return Outcome.UNKNOWN
        fields: dict[str, object] = {
            "receipt_status": ReceiptStatus.DELIVERED if receipt.delivered else ReceiptStatus.NOT_DELIVERED,
            "receipt_at": receipt.at or timezone.now(),
            "receipt_code": receipt.code[:80],
            "receipt_message": receipt.text[:500],
        }
        wrong_number = receipt.incorrect_contact and delivery.status == Status.SEND_SUCCESS
        if wrong_number:
            fields |= {
                "status": Status.SEND_FAIL,
                "reason_code": "INCORRECT_CONTACT",
                "reason": f"The receipt says the number is wrong: {receipt.code} {receipt.text}".strip(),
            }
        if not Delivery.objects.filter(pk=delivery.pk, receipt_status__in=OPEN).update(**fields):
            return Outcome.DUPLICATE
        if wrong_number:
            delivery.refresh_from_db()
            if fallback_create(failed=delivery):
                transaction.on_commit(wakeups.now)
    return Outcome.APPLIED


def receipts_store(*, channel: str, receipts: Iterable[Receipt | None], wakeups: Wakeups = NO_WAKEUPS) -> int:
    """A pushed batch, all or nothing; returns how many receipts were new."""
    with transaction.atomic():
        outcomes = [receipt_apply(channel=channel, receipt=r, wakeups=wakeups) for r in receipts if r is not None]
    return outcomes.count(Outcome.APPLIED)


def receipts_poll(*, now: datetime | None = None, limit: int = 100, wakeups: Wakeups = NO_WAKEUPS) -> int:
    """Ask the provider for the receipts of deliveries still without one RECEIPT_POLL_AFTER_SECONDS
    after sending (each at most once per that period), until RECEIPT_POLL_DEADLINE_SECONDS after
    sending; returns how many receipts were recorded. A provider that cannot answer now is asked
    again at the next sweep."""
    now = now or timezone.now()
    after = now - timedelta(seconds=settings.RECEIPT_POLL_AFTER_SECONDS)
    deadline = now - timedelta(seconds=settings.RECEIPT_POLL_DEADLINE_SECONDS)
    due = (
        Delivery.objects.filter(
            receipt_status=ReceiptStatus.ACCEPTED,
            channel__in=RECEIPT_CHANNELS,
            finished_at__lte=after,
            finished_at__gte=deadline,
        )
        .filter(Q(receipt_polled_at__isnull=True) | Q(receipt_polled_at__lte=after))
        .exclude(provider_message_id="")
        .order_by("finished_at", "pk")
    )
    recorded = 0
    for delivery in list(due[:limit]):
        # Claimed by its time of asking, so that two workers sweeping at once do not both ask.
        claimed = Delivery.objects.filter(pk=delivery.pk, receipt_polled_at=delivery.receipt_polled_at).update(
            receipt_polled_at=now
        )
        if not claimed or delivery.finished_at is None:
            continue
        try:
            receipt = transport_for(delivery.channel).receipt_query(
                provider_id=delivery.provider_message_id, to=delivery.address, sent_at=delivery.finished_at
            )
        except DeliveryError as error:
            logger.warning("Asking for the receipt of delivery %s failed: %s (%s)", delivery.pk, error.text, error.code)
            continue
        if receipt is not None and receipt_apply(channel=delivery.channel, receipt=receipt, wakeups=wakeups) == (
            Outcome.APPLIED
        ):
            recorded += 1
    return recorded
