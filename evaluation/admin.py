"""Staff configure each Call's evaluation plan, reviewers and panels here."""

from decimal import Decimal
from functools import partial

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db import transaction
from django.forms.models import BaseInlineFormSet
from django.utils.translation import gettext as _

from competitions.admin import ReadOnlyAdmin
from competitions.imports import LimitedImportExportAdmin
from config.admin_labels import NamedTabularInline
from config.korean import resolve_particles
from projects.models import ApplicationState

from .conflicts import is_conflicted
from .models import (
    AdvancementResult,
    AdvancementRun,
    Assignment,
    BonusAward,
    BonusRule,
    Criterion,
    DeclaredConflict,
    EvaluationPlan,
    FinalScore,
    Objection,
    Panel,
    Reinstatement,
    Reviewer,
    SelectionResult,
    SelectionRun,
    Stage,
)
from .resources import ReviewerResource
from .review_rounds import current_round
from .stage_runs import current_stages
from .tasks import rank_ahead


class CriterionFormSet(BaseInlineFormSet):
    """A plan whose criteria do not add up to 100 points is refused with the total; with stages,
    each stage's criteria add up to 100 and every criterion names its stage."""

    def clean(self):
        super().clean()
        rows = [f.cleaned_data for f in self.forms if f.cleaned_data and not f.cleaned_data.get("DELETE")]
        if not rows:
            return
        stages = {row.get("stage") for row in rows}
        if None in stages and (len(stages) > 1 or (self.instance.pk and self.instance.stages.exists())):
            raise ValidationError(_("This plan has stages: say which stage each criterion belongs to."))
        foreign = [stage for stage in stages if stage is not None and stage.plan_id != self.instance.pk]
        if foreign:
            raise ValidationError(_("A criterion names a stage of another call's evaluation plan."))
        for stage in stages:
            total = sum(
                row["max_points"] * row.get("weight", 1)
                for row in rows
                if row.get("stage") == stage and row.get("max_points") is not None
            )
            if total == 100:
                continue
            if stage is None:
                raise ValidationError(
                    _(
                        "The criteria's maximum points (times their weights) add up to %(total)s; they must add up to 100."
                    )
                    % {"total": f"{total.normalize():f}"}
                )
            raise ValidationError(
                _("The criteria of the stage %(stage)s add up to %(total)s points; they must add up to 100.")
                % {"stage": stage, "total": f"{total.normalize():f}"}
            )


class StageFormSet(BaseInlineFormSet):
    """With a weighted final score the stages' weights add up to 100; positions are distinct."""

    def clean(self):
        super().clean()
        rows = [f.cleaned_data for f in self.forms if f.cleaned_data and not f.cleaned_data.get("DELETE")]
        if not rows:
            return
        positions = [row.get("position") for row in rows]
        if len(set(positions)) != len(positions):
            raise ValidationError(_("Two stages have the same position; give each stage its own."))
        if self.instance.final_score == FinalScore.WEIGHTED:
            total = sum((row.get("weight") or 0 for row in rows), Decimal(0))
            if total != 100:
                raise ValidationError(
                    _("The stages' weights add up to %(total)s; they must add up to 100.")
                    % {"total": f"{Decimal(total).normalize():f}"}
                )


class StageInline(admin.StackedInline):
    model = Stage
    formset = StageFormSet
    extra = 0
    fields = [
        ("position", "kind", "name", "name_ko"),
        ("weight", "cutoff", "blind"),
        ("reviews_per_application", "minimum_reviews"),
        ("advancement", "advance_count", "advance_multiple"),
        "letter_comments",
    ]


class CriterionInline(NamedTabularInline):
    model = Criterion
    formset = CriterionFormSet
    extra = 0
    fields = ["stage", "name", "name_ko", "max_points", "weight", "threshold", "position"]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "stage":  # only the plan's own stages
            plan_id = request.resolver_match.kwargs.get("object_id") if request.resolver_match else None
            kwargs["queryset"] = Stage.objects.filter(plan_id=plan_id or 0)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class BonusRuleInline(NamedTabularInline):
    model = BonusRule
    extra = 0


@admin.register(EvaluationPlan)
class EvaluationPlanAdmin(admin.ModelAdmin):
    list_display = [
        "call",
        "aggregation",
        "reviews_per_application",
        "cutoff",
        "bonus_cap",
        "reserve_per_field",
        "final_score",
    ]
    list_select_related = ["call"]
    inlines = [StageInline, CriterionInline, BonusRuleInline]

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        # A change of the scoring settings leaves every sheet of the call to compute again: a
        # worker ranks it ahead once this commits (not waiting for the beat's minute), so staff
        # opening the ranking next need not wait for it. Robust: with the broker down the beat
        # does it instead, and the saved plan's response does not fail.
        transaction.on_commit(partial(rank_ahead.delay, [form.instance.call_id]), robust=True)


@admin.register(Reviewer)
class ReviewerAdmin(LimitedImportExportAdmin):
    resource_classes = [ReviewerResource]
    list_display = ["code", "user", "affiliation"]
    search_fields = ["code", "user__email", "affiliation__name"]
    list_select_related = ["user", "affiliation"]
    autocomplete_fields = []
    filter_horizontal = ["expertise"]


@admin.register(Panel)
class PanelAdmin(admin.ModelAdmin):
    list_display = ["name", "call", "stage", "track", "service_field"]
    list_filter = ["call"]
    list_select_related = ["call", "stage", "track", "service_field"]
    filter_horizontal = ["reviewers"]


@admin.register(DeclaredConflict)
class DeclaredConflictAdmin(admin.ModelAdmin):
    list_display = ["reviewer", "organisation", "reason", "declared_at"]
    list_select_related = ["reviewer", "organisation"]


@admin.register(SelectionRun)
class SelectionRunAdmin(ReadOnlyAdmin):
    list_display = ["call", "number", "created_by", "created_at", "confirmed_at", "inputs_hash"]
    list_select_related = ["call", "created_by"]


@admin.register(SelectionResult)
class SelectionResultAdmin(ReadOnlyAdmin):
    list_display = ["run", "application", "rank", "final_score", "outcome", "reason"]
    list_select_related = ["run__call", "application"]
    list_filter = ["outcome"]


@admin.register(AdvancementRun)
class AdvancementRunAdmin(ReadOnlyAdmin):
    list_display = ["stage", "number", "created_by", "created_at", "confirmed_at", "inputs_hash"]
    list_select_related = ["stage__plan__call", "created_by"]


@admin.register(AdvancementResult)
class AdvancementResultAdmin(ReadOnlyAdmin):
    list_display = ["run", "application", "field_rank", "stage_score", "outcome", "reason", "margin"]
    list_select_related = ["run__stage", "application"]
    list_filter = ["outcome", "reason"]


@admin.register(Objection)
class ObjectionAdmin(ReadOnlyAdmin):
    list_display = ["application", "outcome", "state", "filed_at", "decided_at"]
    list_select_related = ["application"]


@admin.register(Reinstatement)
class ReinstatementAdmin(ReadOnlyAdmin):
    list_display = ["application", "stage", "objection", "created_by", "created_at"]
    list_select_related = ["application", "stage", "objection__application", "created_by"]


REVIEWER_CHANGES_ALLOWED = (ApplicationState.ELIGIBLE, ApplicationState.UNDER_REVIEW)


class AssignmentForm(forms.ModelForm):
    """Staff adjust assignments by hand; a conflicted reviewer is refused with the reason."""

    class Meta:
        model = Assignment
        fields = ["application", "reviewer", "state", "recusal_reason"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # A round is superseded only by an upheld objection (evaluation.objections), never here.
        self.fields["state"].choices = [
            choice for choice in self.fields["state"].choices if choice[0] != Assignment.State.PAST
        ]

    def clean(self):
        cleaned = super().clean()
        application, reviewer = cleaned.get("application"), cleaned.get("reviewer")
        # Scores lock when the review completes: its reviewers no longer change (an upheld
        # objection reopens the review), and the score sheet stays true to the reviews.
        for concerned in {application, self.instance.application if self.instance.pk else None} - {None}:
            if concerned.state not in REVIEWER_CHANGES_ALLOWED:
                raise ValidationError(
                    _("The review of %(reference)s is closed; its reviewers can no longer change.")
                    % {"reference": concerned.reference}
                )
        review = getattr(self.instance, "review", None) if self.instance.pk else None
        if (
            review is not None
            and review.state == review.State.SUBMITTED
            and (cleaned.get("state") != Assignment.State.ACTIVE or reviewer != self.instance.reviewer)
        ):
            raise ValidationError(_("This reviewer has submitted the review; it counts and stays assigned."))
        if (
            application
            and reviewer
            and cleaned.get("state") == Assignment.State.ACTIVE
            and is_conflicted(reviewer, application)
        ):
            raise ValidationError(  # the admin shows form errors as they are: resolved here
                resolve_particles(
                    _("%(reviewer)s has a conflict of interest with %(reference)s and cannot review it.")
                    % {"reviewer": reviewer.code, "reference": application.reference}
                )
            )
        return cleaned


@admin.register(Assignment)
class AssignmentAdmin(admin.ModelAdmin):
    form = AssignmentForm
    list_display = ["application", "reviewer", "state", "round", "created_at"]
    list_filter = ["state", "application__call"]
    list_select_related = ["application", "reviewer"]
    search_fields = ["application__reference", "reviewer__code"]
    raw_id_fields = ["application", "reviewer"]

    def has_delete_permission(self, request, obj=None):
        return False  # an assignment ends by recusal, never by deletion

    def save_model(self, request, obj, form, change):
        if not change:  # a reviewer added by hand joins the application's current round and stage
            obj.round = current_round(obj.application_id)
            stage = current_stages(obj.application.call, [obj.application_id]).get(obj.application_id)
            obj.stage_id = stage.pk if stage else None
        super().save_model(request, obj, form, change)


@admin.register(BonusAward)
class BonusAwardAdmin(admin.ModelAdmin):
    """Staff grant a bonus rule to an application with its evidence; the grant is recorded with
    who and when, and neither changed nor deleted here (a grant is a decision on the record)."""

    list_display = ["application", "rule", "granted_by", "granted_at"]
    list_filter = ["rule__plan__call"]
    list_select_related = ["application", "rule", "granted_by"]
    search_fields = ["application__reference", "rule__code"]
    raw_id_fields = ["application"]
    fields = ["application", "rule", "evidence"]

    def save_model(self, request, obj, form, change):
        obj.granted_by = request.user
        super().save_model(request, obj, form, change)

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
