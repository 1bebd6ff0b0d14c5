from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SmartCityConfig(AppConfig):
    """The smart-city schemes around the calls: certification, the certified-services
    catalogue, the menu board, living labs and policy analytics (DESIGN.md §1: a floor above
    ``evaluation``; it uses calls, applications and stages, and nothing below imports it)."""

    name = "smartcity"
    verbose_name = _("Smart city")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from projects.panels import register_application_panel

        # menu: the attached service package on the application pages.
        from .panels import attached_package_panel

        register_application_panel(attached_package_panel)
