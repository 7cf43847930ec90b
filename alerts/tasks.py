from django.tasks import task


@task()
def deliver_due():
    """Send every delivery that is due. Enqueued when an alert is accepted, at each retry time and
    at lease expiry; the deliveries table, not this queue, says what is left to send."""
    from .dispatch import deliveries_process

    return deliveries_process()
