"""Staff screens for organisations, sanctions, applications (read-only here: state changes go
through the eligibility queue) and the e-mail outbox."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts import identities
from competitions.admin import ReadOnlyAdmin, ReadOnlyStateLogInline, WonAdminMixin, download_link
from competitions.imports import LimitedImportExportAdmin
from competitions.lifecycle import TransitionRefused
from config.admin_labels import NamedTabularInline

from . import identity
from .models import (
    AnswerRevision,
    Application,
    Award,
    ConsortiumMember,
    CorrectionRequest,
    DisbursementEntry,
    Document,
    Expenditure,
    FiscalYear,
    FundingPlanRevision,
    Indicator,
    IndicatorActual,
    IndicatorSettings,
    IndicatorTarget,
    Organisation,
    OutboxMessage,
    Phase,
    Project,
    RegistrationNumberRecord,
    Sanction,
    Settlement,
)
from .registration_number import normalise_registration_number, validate_registration_number
from .resources import OrganisationResource


class FiscalYearInline(NamedTabularInline):
    model = FiscalYear
    extra = 0


class SanctionInline(NamedTabularInline):
    model = Sanction
    extra = 0
    fields = ["starts_on", "ends_on", "reason", "registration_number", "created_by", "created_at"]
    readonly_fields = ["registration_number", "created_by", "created_at"]

    def has_delete_permission(self, request, obj=None):
        return False  # a sanction is corrected by a new record, never deleted


class RegistrationNumberRecordInline(NamedTabularInline):
    """Every number the organisation has held, with who changed it and why: never edited."""

    model = RegistrationNumberRecord
    fk_name = "organisation"
    extra = 0
    can_delete = False
    fields = ["number", "previous_number", "reason", "recorded_by", "recorded_at"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


class OrganisationAdminForm(forms.ModelForm):
    """The number is read-only once registered; staff correct it with a new number and a reason
    (projects.identity.change_registration_number keeps the history)."""

    new_registration_number = forms.CharField(
        label=_("Corrected business registration number"), required=False, max_length=12
    )
    number_change_reason = forms.CharField(
        label=_("Reason for the correction"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    class Meta:
        model = Organisation
        fields = [*Organisation.DECLARED_FIELDS, "new_registration_number", "number_change_reason"]
        labels = {"name": _("Organisation name")}

    def clean(self):
        cleaned = super().clean()
        new = (cleaned.get("new_registration_number") or "").strip()
        if new:
            try:
                validate_registration_number(new)
            except forms.ValidationError as error:
                self.add_error("new_registration_number", error)
                return cleaned
            holder = identity.number_holder(new)
            if holder is not None and holder.pk != self.instance.pk:
                self.add_error(
                    "new_registration_number",
                    gettext("This business registration number is already registered in Gongmo."),
                )
            if not (cleaned.get("number_change_reason") or "").strip():
                self.add_error(
                    "number_change_reason", gettext("Write why the business registration number changes.")
                )
            cleaned["new_registration_number"] = normalise_registration_number(new)
        return cleaned


@admin.register(Organisation)
class OrganisationAdmin(LimitedImportExportAdmin):
    form = OrganisationAdminForm
    resource_classes = [OrganisationResource]
    list_display = ["name", "registration_number", "kind", "size_class", "region", "verified_at"]
    list_filter = ["kind", "size_class", "region"]
    search_fields = ["name", "registration_number", "number_records__number"]
    list_select_related = ["region"]
    readonly_fields = ["size_class", "size_class_reason", "verified_at", "verified_by"]
    inlines = [FiscalYearInline, SanctionInline, RegistrationNumberRecordInline]
    actions = ["verify"]

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return self.readonly_fields
        return [*self.readonly_fields, "registration_number"]

    def get_fields(self, request, obj=None):
        fields = list(super().get_fields(request, obj))
        if obj is None:
            return [f for f in fields if f not in ("new_registration_number", "number_change_reason")]
        return fields

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        new = form.cleaned_data.get("new_registration_number")
        if change and new and new != obj.registration_number:
            try:
                changed = identity.change_registration_number(
                    obj, new, by=request.user, reason=form.cleaned_data["number_change_reason"]
                )
            except (TransitionRefused, PermissionDenied) as exc:
                for reason in getattr(exc, "reasons", [str(exc)]):
                    messages.error(request, reason)
            else:
                obj.registration_number = changed.registration_number
                self.log_change(
                    request,
                    obj,
                    gettext("Business registration number corrected: %(reason)s")
                    % {"reason": form.cleaned_data["number_change_reason"]},
                )

    @admin.action(description=_("Verify the selected organisations (local governments, public institutions)"))
    def verify(self, request, queryset):
        for organisation in queryset:
            identity.verify_organisation(organisation, by=request.user)
            self.log_change(request, organisation, gettext("Verified by the ministry."))
        messages.success(request, gettext("%(count)d organisation(s) verified.") % {"count": len(queryset)})

    def save_formset(self, request, form, formset, change):
        for instance in formset.save(commit=False):
            if isinstance(instance, Sanction) and instance.created_by_id is None:
                instance.created_by = request.user
            instance.save()
        formset.save_m2m()

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        if form.instance.kind and (form.instance.kind != "company" or form.instance.fiscal_years.exists()):
            form.instance.refresh_size_class()


@admin.register(Sanction)
class SanctionAdmin(admin.ModelAdmin):
    list_display = ["organisation", "registration_number", "starts_on", "ends_on", "reason", "created_by"]
    list_select_related = ["organisation", "created_by"]
    search_fields = ["organisation__name", "organisation__number_records__number", "registration_number"]
    readonly_fields = ["registration_number", "created_by", "created_at"]

    def save_model(self, request, obj, form, change):
        if obj.created_by_id is None:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)

    def has_delete_permission(self, request, obj=None):
        return False


class ConsortiumMemberInline(NamedTabularInline):
    model = ConsortiumMember
    extra = 0
    can_delete = False
    readonly_fields = ["organisation", "budget_share_percent", "state", "responded_by", "responded_at"]

    def has_add_permission(self, request, obj=None):
        return False


class DocumentInline(NamedTabularInline):
    model = Document
    extra = 0
    can_delete = False
    fields = ["kind", "original_name", "file_format", "size", "uploaded_by", "uploaded_at", "superseded"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Application)
class ApplicationAdmin(WonAdminMixin, ReadOnlyAdmin):
    """Read-only: what applicants submitted is never edited or deleted by staff."""

    won_fields = ("requested_subsidy", "local_government", "private_cash", "private_in_kind")
    list_display = ["reference", "title", "call", "lead", "state", "submitted_at", "requested_subsidy"]
    list_filter = ["state", "call"]
    search_fields = ["reference", "title", "lead__name"]
    list_select_related = ["call", "lead"]
    inlines = [ConsortiumMemberInline, DocumentInline, ReadOnlyStateLogInline]

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in self.model._meta.fields] + [
            "smart_services",
            "technology_fields",
            "service_types",
        ]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(OutboxMessage)
class OutboxMessageAdmin(admin.ModelAdmin):
    """The outbox, read-only. Staff read the addresses; anyone else (auditors) reads a
    reviewer's mail addressed to the reviewer's pseudonymous code, and cannot search by
    address (accounts.identities)."""

    list_display = ["created_at", "to", "subject", "status", "attempts", "sent_at"]
    list_filter = ["status"]
    search_fields = ["to", "subject"]
    _PSEUDONYMOUS_FIELDS = ["created_at", "recipient", "subject", "body_shown", "status", "attempts"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(recipient_code=identities.code_for_address("to"))

    def get_list_display(self, request):
        if identities.sees_reviewers(request.user):
            return self.list_display
        return ["created_at", "recipient", "subject", "status", "attempts", "sent_at"]

    def get_search_fields(self, request):
        return self.search_fields if identities.sees_reviewers(request.user) else ["subject"]

    def get_fields(self, request, obj=None):
        if identities.sees_reviewers(request.user):
            return super().get_fields(request, obj)
        return [*self._PSEUDONYMOUS_FIELDS, "error_shown", "sent_at"]

    @admin.display(description=_("to"))
    def recipient(self, message):
        return message.recipient_code or message.to

    @admin.display(description=_("body"))
    def body_shown(self, message):
        return identities.without_addresses(message.body, message.to, message.recipient_code)

    @admin.display(description=_("last error"))
    def error_shown(self, message):
        return identities.without_addresses(message.last_error, message.to, message.recipient_code)

    def get_readonly_fields(self, request, obj=None):
        if not identities.sees_reviewers(request.user):
            return self.get_fields(request, obj)
        return [field.name for field in self.model._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Award)
class AwardAdmin(WonAdminMixin, ReadOnlyAdmin):
    won_fields = ("national_subsidy", "local_government", "private_cash", "private_in_kind")
    list_display = ["application", "national_subsidy", "local_government", "private_cash", "private_in_kind"]
    list_select_related = ["application"]


class PhaseInline(NamedTabularInline):
    model = Phase
    extra = 0
    can_delete = False
    readonly_fields = ["name", "starts_on", "ends_on", "position"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Project)
class ProjectAdmin(ReadOnlyAdmin):
    list_display = ["code", "state", "agreement_signed_on", "starts_on", "ends_on", "payments_halted"]
    list_filter = ["state", "payments_halted"]
    search_fields = ["code"]
    inlines = [PhaseInline, ReadOnlyStateLogInline]


@admin.register(DisbursementEntry)
class DisbursementEntryAdmin(WonAdminMixin, ReadOnlyAdmin):
    """The ledger: append-only, so the admin shows it and nothing more."""

    won_fields = ("amount",)
    list_display = [
        "project",
        "kind",
        "amount",
        "entry_date",
        "reference",
        "reverses",
        "posted_by",
        "posted_at",
    ]
    list_filter = ["kind"]
    list_select_related = ["project", "posted_by"]
    search_fields = ["project__code", "reference"]


@admin.register(Expenditure)
class ExpenditureAdmin(WonAdminMixin, ReadOnlyAdmin):
    """Spending reports; the evidence opens through the permission-checked download view (the
    file field's own link would point into the media root, which is not served)."""

    won_fields = ("amount", "approved_amount")
    list_display = ["project", "spent_on", "category", "share", "amount", "state", "approved_amount"]
    list_filter = ["state", "category", "share"]
    list_select_related = ["project"]
    inlines = [ReadOnlyStateLogInline]

    @admin.display(description=_("evidence"))
    def evidence_link(self, obj):
        return download_link(obj.evidence, "projects:expenditure_evidence", obj.pk)


@admin.register(Settlement)
class SettlementAdmin(WonAdminMixin, ReadOnlyAdmin):
    won_fields = ("disbursed", "approved_spending", "interest_earned", "matching_return", "to_recover")
    list_display = [
        "project",
        "disbursed",
        "approved_spending",
        "interest_earned",
        "to_recover",
        "settled_at",
    ]
    list_select_related = ["project"]


@admin.register(CorrectionRequest)
class CorrectionRequestAdmin(ReadOnlyAdmin):
    """Correction requests (projects.corrections): read-only, like every record of a step."""

    list_display = ["application", "status", "deadline", "requested_by", "requested_at", "closed_at"]
    list_filter = ["status"]
    list_select_related = ["application", "requested_by"]
    search_fields = ["application__reference"]


@admin.register(AnswerRevision)
class AnswerRevisionAdmin(ReadOnlyAdmin):
    list_display = ["application", "question", "changed_by", "changed_at"]
    list_select_related = ["application", "question", "changed_by"]
    search_fields = ["application__reference", "question__code"]


@admin.register(FundingPlanRevision)
class FundingPlanRevisionAdmin(ReadOnlyAdmin):
    list_display = ["application", "changed_by", "changed_at"]
    list_select_related = ["application", "changed_by"]


# --- Performance indicators (projects.indicators) -----------------------------------------------


@admin.register(IndicatorSettings)
class IndicatorSettingsAdmin(admin.ModelAdmin):
    """A call's indicator requirements: how many indicators, target years, follow-up years."""

    list_display = ["call", "min_indicators", "project_years", "follow_up_years"]
    list_select_related = ["call"]
    autocomplete_fields = ["call"]

    def has_delete_permission(self, request, obj=None):
        return False


class IndicatorTargetInline(NamedTabularInline):
    model = IndicatorTarget
    extra = 0
    can_delete = False
    readonly_fields = ["year", "target"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Indicator)
class IndicatorAdmin(ReadOnlyAdmin):
    """What applicants proposed: read-only (it changes only on the draft's form)."""

    list_display = ["application", "name_ko", "name", "unit", "baseline", "removed"]
    list_select_related = ["application"]
    search_fields = ["application__reference", "name", "name_ko"]
    inlines = [IndicatorTargetInline]


@admin.register(IndicatorActual)
class IndicatorActualAdmin(ReadOnlyAdmin):
    """Reported results: append-only, shown and nothing more."""

    list_display = ["indicator", "report", "year", "value", "original_name", "recorded_by", "recorded_at"]
    list_select_related = ["indicator", "report__project", "recorded_by"]

    @admin.display(description=_("evidence"))
    def evidence_link(self, obj):
        return download_link(obj.evidence, "projects:indicator_evidence", obj.pk)
