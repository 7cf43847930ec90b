"""What Alert History and an alert's own page read (D10): alerts with their delivery counts in one
query, each alert's fallback chains, and the labels of stored codes in the reader's language.

Deliveries keep codes (source, language, reason code); the words are chosen when the page is
rendered, so a reader in Chinese sees Chinese whatever language the alert was sent in."""

from django.db.models import Count, Q, QuerySet
from django.utils.translation import pgettext_lazy

from contacts.models import Language

from .messages import NUMBERED, REASONS, reason_text
from .models import Alert, Delivery

# Where alerts come from (Alert.source); any other source is shown as it was stored.
SOURCES = {
    "api": pgettext_lazy("alert source", "API"),
    "alertmanager": pgettext_lazy("alert source", "Alertmanager"),
    "test": pgettext_lazy("alert source", "Test message"),
    "cli": pgettext_lazy("alert source", "Command line"),
    "console": pgettext_lazy("alert source", "Console"),
}

FAILED = (Delivery.Status.SEND_FAIL, Delivery.Status.SEND_OVERLIMIT)


def source_label(source: str) -> str:
    """A known alert source in the active language; any other one as it was stored."""
    label = SOURCES.get(source)
    return str(label) if label else source


def language_label(language: str) -> str:
    """A delivery's language (`en`, `zh-hans`) by its name in the active language."""
    if language in Language.values and language != Language.AUTO:
        return str(Language(language).label)
    return language


def delivery_reason(delivery: Delivery) -> str:
    """Why a delivery failed (or waits to be retried), in the active language for known reason
    codes; the text stored at send time for any other code."""
    code = delivery.reason_code
    if code in REASONS or NUMBERED.match(code or ""):
        return reason_text(code)
    return delivery.reason or (reason_text(code) if code else "")


def alerts_with_counts(alerts: QuerySet[Alert]) -> QuerySet[Alert]:
    """`alerts` with their deliveries counted in the same query: delivered, failed, still waiting."""
    return alerts.annotate(
        delivered=Count("deliveries", filter=Q(deliveries__status=Delivery.Status.SEND_SUCCESS)),
        failed=Count("deliveries", filter=Q(deliveries__status__in=FAILED)),
        waiting=Count("deliveries", filter=Q(deliveries__status=Delivery.Status.READY_TO_SEND)),
    )


def fallback_chains(deliveries: list[Delivery]) -> list[list[Delivery]]:
    """Each path of the fallback chain (D6) that starts at a first delivery and went further:
    primary → alternate alert contact → account recipient, linked by `Delivery.replaces`."""
    children: dict[int, list[Delivery]] = {}
    for delivery in deliveries:
        if delivery.replaces_id:
            children.setdefault(delivery.replaces_id, []).append(delivery)
    chains: list[list[Delivery]] = []

    def walk(path: list[Delivery]) -> None:
        nexts = children.get(path[-1].pk, [])
        if not nexts:
            if len(path) > 1:
                chains.append(path)
            return
        for step in nexts:
            walk([*path, step])

    for delivery in deliveries:
        if not delivery.replaces_id:
            walk([delivery])
    return chains


def label_deliveries(deliveries: list[Delivery]) -> list[Delivery]:
    """Set the display labels (language, reason) on each delivery, in the active language."""
    for delivery in deliveries:
        delivery.language_label = language_label(delivery.language)
        delivery.reason_label = delivery_reason(delivery)
    return deliveries
