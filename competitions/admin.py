"""The ministry staff's configuration screens.

Calls are edited with their tracks and service fields inline; lifecycle changes are admin
actions that go through competitions.lifecycle (permission, explained refusal, log).
Taxonomies and calls import and export as spreadsheets.
"""

import os

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import models
from django.urls import reverse
from django.utils.functional import lazy
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django_fsm_log.admin import StateLogInline

from accounts import identities
from config.admin_labels import NamedControlsAdmin, NamedTabularInline

from . import resources
from .formatting import format_krw
from .imports import LimitedImportExportAdmin
from .lifecycle import TRANSITIONS, TransitionRefused, change_call_state, transition_label
from .models import (
    BudgetCategory,
    Call,
    CallContact,
    CallDocument,
    CallState,
    DeadlineExtension,
    District,
    DocumentKind,
    EligibilityRule,
    Inquiry,
    Notice,
    NoticeRevision,
    Programme,
    Region,
    ServiceField,
    ServiceType,
    SizeClass,
    SmartService,
    SmartServiceArea,
    TechnologyField,
    Track,
)


class ReadOnlyStateLogInline(StateLogInline):
    """The transition history: append-only, so nobody edits or deletes it here. Who acted is
    shown as the reader may know them: an auditor reads a reviewer only by the pseudonymous
    code (accounts.identities)."""

    fields = ("transition", "source_state", "state", "who", "description", "timestamp")
    verbose_name = _("state change")
    verbose_name_plural = _("state changes")

    def get_readonly_fields(self, request, obj=None):
        return self.fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related(f"by__{identities.REVIEWER}")

    def get_formset(self, request, obj=None, **kwargs):
        self._viewer = request.user
        return super().get_formset(request, obj, **kwargs)

    @admin.display(description=_("by"))
    def who(self, entry):
        return identities.shown_as(entry.by, self._viewer) or "-"

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


def download_link(stored, view, *args):
    """An uploaded file's name, linked to the site's view that serves it (which checks who may
    open it and logs the download); "-" when there is none."""
    if not stored:
        return "-"
    return format_html('<a href="{}">{}</a>', reverse(view, args=args), os.path.basename(stored.name))


def _file_name_column(field):
    @admin.display(description=field.verbose_name)
    def column(obj):
        stored = getattr(obj, field.name)
        return os.path.basename(stored.name) if stored else "-"

    return column


class WonAdminMixin:
    """Amounts of won read as everywhere else ('12,000,000 KRW', competitions.formatting), in
    the change list and on a read-only change page: list the model's money fields in
    ``won_fields``; each is shown through a ``<field>_won`` column of the same name and
    ordering, and stays out of the edit form."""

    won_fields = ()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in self.won_fields:
            setattr(self, f"{name}_won", self._won_column(name))

    def _won_column(self, name):
        field = self.model._meta.get_field(name)

        @admin.display(description=field.verbose_name, ordering=name)
        def column(obj):
            return format_krw(getattr(obj, name))

        return column

    def _with_won(self, names):
        return [f"{name}_won" if name in self.won_fields else name for name in names]

    def get_list_display(self, request):
        return self._with_won(super().get_list_display(request))

    def get_fields(self, request, obj=None):
        readonly = set(self.get_readonly_fields(request, obj))
        shown = [
            n for n in super().get_fields(request, obj) if not (n in self.won_fields and n not in readonly)
        ]
        return list(dict.fromkeys(self._with_won(shown)))

    def get_readonly_fields(self, request, obj=None):
        names = list(super().get_readonly_fields(request, obj))
        return names + [f"{name}_won" for name in self.won_fields if name in names]


class ReadOnlyAdmin(admin.ModelAdmin):
    """For records that change only through their domain functions (or never): visible to
    staff and auditors, but no add, edit or delete here.

    An uploaded file is never shown as its field: Django's admin shows a file field as a link to
    the storage (on object storage, a presigned URL anyone holding it opens, unlogged) and a file
    input would replace what was submitted. It is shown through ``<field>_link`` when the admin
    defines one (a link to the permission-checked view that serves it), else by its name."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in self._file_fields():
            if not hasattr(self, f"{name}_link"):
                setattr(self, f"{name}_name", _file_name_column(self.model._meta.get_field(name)))

    def _file_fields(self):
        return [field.name for field in self.model._meta.fields if isinstance(field, models.FileField)]

    def get_readonly_fields(self, request, obj=None):
        files = set(self._file_fields())
        return [
            (f"{field.name}_link" if hasattr(self, f"{field.name}_link") else f"{field.name}_name")
            if field.name in files
            else field.name
            for field in self.model._meta.fields
        ]

    def get_exclude(self, request, obj=None):
        return [*(super().get_exclude(request, obj) or ()), *self._file_fields()]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class TrackInline(NamedTabularInline):
    model = Track
    extra = 0
    fields = ["name", "name_ko", "max_awards", "subsidy_cap", "living_lab", "position"]


class ServiceFieldInline(NamedTabularInline):
    model = ServiceField
    extra = 0
    fields = ["name", "name_ko", "max_awards", "position"]


class EligibilityRuleInline(NamedTabularInline):
    """The call's eligibility rules; parameters are JSON, checked against the rule's kind (staff
    edit them with a form for their kind on the call's eligibility page). The track list offers
    only this call's tracks."""

    model = EligibilityRule
    extra = 0
    fields = ["kind", "track", "params", "position"]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "track":
            call_id = request.resolver_match.kwargs.get("object_id") if request.resolver_match else None
            kwargs["queryset"] = Track.objects.filter(call_id=call_id) if call_id else Track.objects.none()
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class BudgetCategoryInline(NamedTabularInline):
    """The call's budget categories (비목) and their caps."""

    model = BudgetCategory
    extra = 0
    fields = ["code", "name", "name_ko", "cap_percent", "position"]


class DeadlineExtensionInline(NamedTabularInline):
    """The deadline's extensions: recorded on the staff's notice page, read-only here."""

    model = DeadlineExtension
    extra = 0
    fields = ["at", "previous_closes_at", "new_closes_at", "reason", "by", "notified"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


def _lifecycle_action(transition_name):
    def action(modeladmin, request, queryset):
        done = 0
        for call in queryset:
            try:
                change_call_state(call, transition_name, by=request.user)
                done += 1
            except (TransitionRefused, PermissionDenied) as exc:
                modeladmin.message_user(
                    request,
                    gettext("%(call)s: %(reason)s") % {"call": call.slug, "reason": exc},
                    messages.ERROR,
                )
        if done:
            modeladmin.message_user(
                request,
                gettext("%(action)s: %(count)d call(s) done.")
                % {"action": transition_label(transition_name), "count": done},
                messages.SUCCESS,
            )

    action.__name__ = f"lifecycle_{transition_name}"
    # Lazy: the admin's own language when it is read, not the one active at import time.
    action.short_description = lazy(transition_label, str)(transition_name)
    action.allowed_permissions = ("change",)
    return action


class CallAdminForm(forms.ModelForm):
    """The call, with the document kinds reviewers may open as check boxes (the call's clean
    refuses an identifying kind in a blind call, with the reason)."""

    reviewer_document_kinds = forms.MultipleChoiceField(
        label=_("documents reviewers may open"),
        choices=DocumentKind.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=Call._meta.get_field("reviewer_document_kinds").help_text,
    )

    class Meta:
        model = Call
        fields = ["reviewer_document_kinds"]  # the admin's fieldsets add the others


@admin.register(Call)
class CallAdmin(NamedControlsAdmin, LimitedImportExportAdmin):
    form = CallAdminForm
    resource_classes = [resources.CallResource]
    inlines = [
        TrackInline,
        ServiceFieldInline,
        EligibilityRuleInline,
        BudgetCategoryInline,
        DeadlineExtensionInline,
        ReadOnlyStateLogInline,
    ]
    list_display = [
        "slug",
        "title",
        "programme",
        "state",
        "opens_at",
        "closes_at",
        "budget_display",
        "max_awards",
    ]
    list_filter = ["state", "programme", "blind_review"]
    search_fields = ["slug", "title", "title_ko"]
    list_select_related = ["programme"]
    readonly_fields = ["state", "quota_overview", "created_at", "updated_at"]
    actions = [_lifecycle_action(name) for name in TRANSITIONS]
    fieldsets = [
        (None, {"fields": ["programme", "slug", "reference_prefix", "state"]}),
        (
            _("Texts"),
            {"fields": ["title", "title_ko", "summary", "summary_ko", "who_may_apply", "who_may_apply_ko"]},
        ),
        (_("Reception"), {"fields": ["opens_at", "closes_at", "briefing_at", "previous_stage"]}),
        (
            _("Money and quotas"),
            {
                "fields": [
                    "budget_total",
                    "max_awards",
                    "min_awards",
                    "subsidy_min",
                    "subsidy_max",
                    ("matching_national_ratio", "matching_local_ratio"),
                    "matching_private_percent",
                    "quota_overview",
                    "budget_transfer_threshold_percent",
                ]
            },
        ),
        (_("Applicants"), {"fields": ["one_application_per_lead"]}),
        (_("Review"), {"fields": ["blind_review", "reviewer_document_kinds"]}),
        (_("Results"), {"fields": ["results_listing"]}),
        (_("Record"), {"fields": ["created_at", "updated_at"]}),
    ]

    def get_readonly_fields(self, request, obj=None):
        """Once announced, the deadline moves only on the call's notice page (extended with a
        reason, everyone who applied told; never shortened: Call.save refuses it on any path)."""
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None and obj.state != CallState.DRAFT:
            fields.append("closes_at")
        return fields

    @admin.display(description=_("total budget"), ordering="budget_total")
    def budget_display(self, obj):
        return format_krw(obj.budget_total)

    @admin.display(description=_("quotas"))
    def quota_overview(self, obj):
        if not obj.pk:
            return "-"
        places = obj.field_places()
        text = gettext("Service fields offer %(places)d places for at most %(max)d awards in all.") % {
            "places": places,
            "max": obj.max_awards,
        }
        if places > obj.max_awards:
            text += " " + gettext("Fields compete for the awards: that is allowed.")
        return text


@admin.register(Programme)
class ProgrammeAdmin(LimitedImportExportAdmin):
    resource_classes = [resources.ProgrammeResource]
    list_display = ["slug", "name", "name_ko", "ministry"]
    search_fields = ["slug", "name", "name_ko"]


class QuotaAdmin(LimitedImportExportAdmin):
    list_display = ["call", "name", "name_ko", "max_awards", "position"]
    list_filter = ["call"]
    list_select_related = ["call"]
    search_fields = ["name", "name_ko", "call__slug"]


@admin.register(Track)
class TrackAdmin(WonAdminMixin, QuotaAdmin):
    resource_classes = [resources.TrackResource]
    won_fields = ("subsidy_cap",)
    list_display = QuotaAdmin.list_display + ["subsidy_cap", "living_lab"]
    list_filter = [*QuotaAdmin.list_filter, "living_lab"]


@admin.register(ServiceField)
class ServiceFieldAdmin(QuotaAdmin):
    resource_classes = [resources.ServiceFieldResource]


class TaxonomyAdmin(LimitedImportExportAdmin):
    list_display = ["__str__", "name", "name_ko"]
    search_fields = ["name", "name_ko"]


@admin.register(TechnologyField)
class TechnologyFieldAdmin(TaxonomyAdmin):
    resource_classes = [resources.TechnologyFieldResource]
    list_display = ["code", "name", "name_ko"]


@admin.register(ServiceType)
class ServiceTypeAdmin(TaxonomyAdmin):
    resource_classes = [resources.ServiceTypeResource]
    list_display = ["code", "name", "name_ko"]


@admin.register(Region)
class RegionAdmin(TaxonomyAdmin):
    resource_classes = [resources.RegionResource]
    list_display = ["slug", "name", "name_ko", "capital_area", "technologies_2021", "companies_2021"]


@admin.register(District)
class DistrictAdmin(TaxonomyAdmin):
    list_display = ["name", "name_ko", "region", "level"]
    list_filter = ["region", "level"]
    list_select_related = ["region"]


@admin.register(SizeClass)
class SizeClassAdmin(TaxonomyAdmin):
    resource_classes = [resources.SizeClassResource]
    list_display = ["code", "name", "name_ko", "companies_2021"]


@admin.register(SmartServiceArea)
class SmartServiceAreaAdmin(TaxonomyAdmin):
    resource_classes = [resources.SmartServiceAreaResource]


@admin.register(SmartService)
class SmartServiceAdmin(TaxonomyAdmin):
    resource_classes = [resources.SmartServiceResource]
    list_display = ["name", "name_ko", "area"]
    list_filter = ["area"]
    list_select_related = ["area"]


class NoticePageAdmin(ReadOnlyAdmin):
    """A call's notice page, read here; it changes on the staff's notice page
    (/staff/calls/<slug>/notice/), which keeps every version and tells whom it must."""

    list_select_related = ["call"]
    list_filter = ["call"]

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(CallDocument)
class CallDocumentAdmin(NoticePageAdmin):
    list_display = ["call", "title", "title_ko", "kind", "original_name", "uploaded_at", "retired_at"]

    @admin.display(description=_("file"))
    def file_link(self, obj):
        return download_link(obj.file, "competitions:document_download", obj.call.slug, obj.pk)


@admin.register(Notice)
class NoticeAdmin(NoticePageAdmin):
    list_display = ["call", "title", "title_ko", "posted_at", "edited_at"]


@admin.register(NoticeRevision)
class NoticeRevisionAdmin(NoticePageAdmin):
    list_display = ["notice", "number", "by", "at"]
    list_select_related = ["notice", "by"]
    list_filter = ["notice__call"]


@admin.register(Inquiry)
class QuestionAdmin(NoticePageAdmin):
    list_display = ["call", "asked_at", "text", "answered_at"]


@admin.register(CallContact)
class CallContactAdmin(NoticePageAdmin):
    list_display = ["call", "department", "department_ko", "person", "phone", "email"]


@admin.register(DeadlineExtension)
class DeadlineExtensionAdmin(NoticePageAdmin):
    list_display = ["call", "previous_closes_at", "new_closes_at", "by", "at", "notified"]
