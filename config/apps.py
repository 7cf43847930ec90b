"""The project package as an app, and the app configurations of third-party apps whose names the
support admin shows."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _
from django_tasks_db.apps import TasksAppConfig


class ConfigConfig(AppConfig):
    """The project package as an app, so its system checks are registered (config/checks.py)."""

    default = True  # this module holds a second configuration, of django-tasks-db
    name = "config"
    verbose_name = "Alert Contacts configuration"

    def ready(self):
        from django.utils.autoreload import autoreload_started

        from . import checks  # noqa: F401
        from .devserver import on_autoreload_started

        autoreload_started.connect(on_autoreload_started)


class BackgroundTasksConfig(TasksAppConfig):
    """django-tasks-db's queue, named in the reader's language in the support admin (its own
    name is a plain English string)."""

    verbose_name = _("Background tasks")
