from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EvaluationConfig(AppConfig):
    name = "evaluation"
    verbose_name = _("Evaluation")

    def ready(self):
        # A copied call takes its evaluation plan along (competitions.call_copy).
        # Each reviewer's kept progress follows every assignment and review saved.
        from . import (
            call_copy,  # noqa: F401
            review_progress,  # noqa: F401
        )
