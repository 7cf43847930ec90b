"""The client's address, for counting authentication failures per address (sign-in and API)."""

import ipaddress

from django.conf import settings


def client_address(request):
    """REMOTE_ADDR, unless TRUSTED_PROXY_COUNT says how many proxies of ours stand in front.

    Each of our proxies appends the address it received the request from to X-Forwarded-For, so
    the client's address is the TRUSTED_PROXY_COUNT-th entry from the right; anything to its left
    was written by the client and is never believed. With the default 0 the header is ignored, so
    nobody can pick the address their failures are counted against."""
    remote = request.META.get("REMOTE_ADDR") or "0.0.0.0"
    count = settings.TRUSTED_PROXY_COUNT
    if count <= 0:
        return remote
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
    if len(forwarded) < count:
        return remote
    try:
        return str(ipaddress.ip_address(forwarded[-count]))
    except ValueError:
        return remote
