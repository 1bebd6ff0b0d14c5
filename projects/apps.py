from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProjectsConfig(AppConfig):
    name = "projects"
    verbose_name = _("Applications and projects")

    def ready(self):
        # Who is told when a call's deadline is extended or a question answered.
        from . import call_notices  # noqa: F401
