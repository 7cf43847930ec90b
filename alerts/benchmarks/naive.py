"""The floor of `dispatch_deliver`: what a Django developer would write first to send deliveries,
one django.tasks task per delivery run by django-tasks-db's `db_worker`, through the same
transports. It is generous: no lease, no retry, no fallback, one transaction per send."""

from django.db import transaction
from django.tasks import task
from django.utils import timezone

from alerts.limits import LIMITED, limit_take
from alerts.messages import alert_message
from alerts.models import Delivery
from contacts.messaging import message_send


@task()
def deliver_one(delivery_id: int) -> None:
    with transaction.atomic():
        delivery = Delivery.objects.select_for_update().select_related("alert__workspace__account").get(pk=delivery_id)
        if delivery.status != Delivery.Status.READY_TO_SEND:
            return
        workspace = delivery.alert.workspace
        if delivery.channel in LIMITED and not limit_take(
            account_id=workspace.account_id, region_id=workspace.region_id, channel=delivery.channel
        ):
            delivery.status = Delivery.Status.SEND_OVERLIMIT
        else:
            message_send(alert_message(delivery))
            delivery.status = Delivery.Status.SEND_SUCCESS
        delivery.finished_at = timezone.now()
        delivery.save(update_fields=["status", "finished_at"])
