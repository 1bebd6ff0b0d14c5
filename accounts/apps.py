from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def _sync_roles(sender, **kwargs):
    from django.apps import apps

    # post_migrate is sent once per app; permissions of later apps exist only after the last.
    if sender.label != list(apps.get_app_configs())[-1].label:
        return
    from .roles import sync_role_groups

    sync_role_groups()


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Accounts")

    def ready(self):
        # After every migrate (the last app's signal), so every role's permissions exist.
        post_migrate.connect(_sync_roles, dispatch_uid="gongmo-sync-role-groups")
        # Every model field a translatable name (the admin's 'User', 'created by' in Korean).
        from config.field_names import name_fields

        name_fields()
        # Connects the per-address count of failed log-ins (user_login_failed).
        # And the second step pending after a password log-in (user_logged_in).
        from . import throttling, two_factor  # noqa: F401
