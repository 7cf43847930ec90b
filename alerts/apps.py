from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AlertsConfig(AppConfig):
    name = "alerts"
    verbose_name = _("Alerts and workspaces")

    def ready(self):
        from django.contrib.auth.signals import user_logged_in

        from .sign_in import on_sign_in

        user_logged_in.connect(on_sign_in, dispatch_uid="alerts.sync_at_sign_in")
