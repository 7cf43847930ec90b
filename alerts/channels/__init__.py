"""Alert channels as pluggable backends (D1), chosen by dotted paths in ALERT_CHANNEL_BACKENDS."""

from django.conf import settings
from django.utils.module_loading import import_string


def channel_backend(channel):
    return import_string(settings.ALERT_CHANNEL_BACKENDS[channel])()
