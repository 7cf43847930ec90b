from django.apps import AppConfig, apps
from django.utils.translation import gettext_lazy as _


class ThrottlingConfig(AppConfig):
    name = "throttling"
    verbose_name = _("Sign-in and API throttling")

    def ready(self):
        # axes names its admin section "Axes", which says nothing to support staff in any language.
        apps.get_app_config("axes").verbose_name = _("Sign-in lockouts")
