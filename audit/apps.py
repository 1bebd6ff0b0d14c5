from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AuditConfig(AppConfig):
    name = "audit"
    verbose_name = _("Audit")

    def ready(self):
        # The access log (audit/access.py): log-ins, failures, role and group changes.
        from django.contrib.auth import get_user_model
        from django.contrib.auth.models import Group
        from django.contrib.auth.signals import user_logged_in, user_login_failed
        from django.db.models.signals import m2m_changed, post_init, post_save

        from competitions.signals import import_finished

        from . import access

        User = get_user_model()
        user_logged_in.connect(access.on_logged_in, dispatch_uid="gongmo-access-logged-in")
        user_login_failed.connect(access.on_login_failed, dispatch_uid="gongmo-access-login-failed")
        post_init.connect(access.on_user_init, sender=User, dispatch_uid="gongmo-access-user-init")
        post_save.connect(access.on_user_saved, sender=User, dispatch_uid="gongmo-access-user-saved")
        m2m_changed.connect(
            access.on_group_permissions_changed,
            sender=Group.permissions.through,
            dispatch_uid="gongmo-access-group-permissions",
        )
        import_finished.connect(access.on_import_finished, dispatch_uid="gongmo-access-import-finished")
        for through in (User.groups.through, User.user_permissions.through):
            m2m_changed.connect(
                access.on_relation_changed, sender=through, dispatch_uid=f"gongmo-access-{through.__name__}"
            )
