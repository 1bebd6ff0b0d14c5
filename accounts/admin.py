from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from .models import ConsentAcceptance, ConsentText, User


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    ordering = ["email"]
    list_display = ["email", "name", "is_staff", "is_active"]
    search_fields = ["email", "first_name", "last_name", "name_en"]
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        (_("Personal info"), {"fields": ["first_name", "last_name", "name_en", "language"]}),
        (
            _("Roles and permissions"),
            {"fields": ["is_active", "is_staff", "is_superuser", "groups", "user_permissions"]},
        ),
        (_("Important dates"), {"fields": ["last_login", "date_joined"]}),
        (_("Two-factor log-in"), {"fields": ["two_factor"]}),
    ]
    readonly_fields = ["two_factor"]
    add_fieldsets = [(None, {"classes": ["wide"], "fields": ["email", "password1", "password2"]})]

    @admin.display(description=_("full name"), ordering="last_name")
    def name(self, user):
        return user.display_name

    @admin.display(description=_("second factor"))
    def two_factor(self, obj):
        """A superuser resets a lost second factor from here (accounts.views.two_factor_reset)."""
        if obj.pk is None:
            return "-"
        return format_html(
            '<a href="{}">{}</a>',
            reverse("accounts:two_factor_reset", args=[obj.pk]),
            _("Reset the second factor"),
        )


@admin.register(ConsentText)
class ConsentTextAdmin(admin.ModelAdmin):
    """Staff publish a new version (a new row, with its effective date); a version in force is
    never edited, so every acceptance keeps the text it accepted."""

    list_display = ["version", "effective_at", "created_at"]
    ordering = ["-effective_at"]

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and obj.effective_at <= timezone.now():
            return ["version", "text_ko", "text_en", "effective_at", "created_at"]
        return ["created_at"]

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ConsentAcceptance)
class ConsentAcceptanceAdmin(admin.ModelAdmin):
    """The record of who accepted which version, when and from where: read-only."""

    list_display = ["user", "consent", "accepted_at", "ip_address"]
    list_filter = ["consent"]
    search_fields = ["user__email"]
    list_select_related = ["user", "consent"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
