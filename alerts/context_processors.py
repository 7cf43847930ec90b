from contacts.messaging.outbox import outbox_active

from .regions import current_region, region_choices


def console(request):
    """What the top bar needs on every page: the regions and the one chosen (T1), and whether the
    Outbox page exists (only while the outbox is configured)."""
    if not hasattr(request, "session"):
        return {}
    regions = region_choices()
    return {"regions": regions, "current_region": current_region(request, regions), "outbox_active": outbox_active()}
