"""The access log in the admin: read only, even for superusers (audit/access.py writes it).
No role group is given its view permission: auditors read it on their own page
(audit/access_views.py), where a reviewer appears only by code."""

from django.contrib import admin

from .models import AccessEvent


@admin.register(AccessEvent)
class AccessEventAdmin(admin.ModelAdmin):
    list_display = ("at", "action", "actor_email", "subject", "target", "ip_address")
    list_filter = ("action",)
    search_fields = ("actor_email", "target")
    date_hierarchy = "at"
    list_select_related = ("subject",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
