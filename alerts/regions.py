"""The region chosen in the top bar, kept in the session (T1)."""

from .models import Region

SESSION_KEY = "region"


def region_choices():
    return list(Region.objects.all())


def current_region(request, regions=None):
    regions = regions if regions is not None else region_choices()
    chosen = request.session.get(SESSION_KEY)
    for region in regions:
        if region.code == chosen:
            return region
    return regions[0] if regions else None


def region_choose(*, request, code):
    """Remember `code` as the chosen region; False (nothing changed) for an unknown code."""
    if not Region.objects.filter(code=code).exists():
        return False
    request.session[SESSION_KEY] = code
    return True
