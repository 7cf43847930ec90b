from django.apps import AppConfig


class ConfigConfig(AppConfig):
    """The project package as an app, so its system checks are registered (config/checks.py)."""

    name = "config"
    verbose_name = "Alert Contacts configuration"

    def ready(self):
        from . import checks  # noqa: F401
