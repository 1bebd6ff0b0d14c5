"""Spending reports (Expenditure) on the applicant's side after reporting: correcting one (a new
version; the original kept, marked CORRECTED) or withdrawing it (kept, marked WITHDRAWN), both
only until staff decide it. Reporting and deciding live in projects.ledger, which also uses the
checks below. Every change locks the project, checks the money invariants and is logged (a
StateLog on the expenditure with who, when and why)."""

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_fsm_log.models import StateLog

from competitions.lifecycle import TransitionRefused

from . import money_invariants
from .models import Expenditure, FundingShare, Project, ProjectState

# The project states in which spending not yet decided may still be corrected or withdrawn.
OPEN_STATES = (ProjectState.ACTIVE, ProjectState.FINAL_REPORT)


def _refuse(*reasons):
    raise TransitionRefused(list(reasons))


def require_may_report(user, project):
    if not user.has_perm("projects.change_application", project.award.application):
        raise PermissionDenied(_("You may not report spending for this project."))


def check_spending(project, *, spent_on, amount, share):
    """Refuse spending that is not a positive amount, paid from a share of the plan, dated
    within the demonstration period and not in the future."""
    if amount is None or amount <= 0:
        _refuse(_("Spending must be a positive amount."))
    if share not in FundingShare.values:
        _refuse(_("Say which share of the funding plan paid for the spending."))
    if spent_on > timezone.localdate():
        _refuse(_("Spending cannot be dated in the future."))
    if not project.starts_on <= spent_on <= project.ends_on:
        _refuse(
            _("Spending must fall within the demonstration period, %(start)s to %(end)s.")
            % {"start": project.starts_on, "end": project.ends_on}
        )


def _locked_undecided(expenditure, by):
    """The project and the expenditure, locked; refused unless it is still undecided."""
    project = (
        Project.objects.select_for_update()
        .select_related("award__application")
        .get(pk=expenditure.project_id)
    )
    require_may_report(by, project)
    expenditure = Expenditure.objects.select_for_update().get(pk=expenditure.pk)
    if expenditure.state != Expenditure.State.REPORTED:
        _refuse(
            _("This spending report is %(state)s: only a report not yet decided can be changed.")
            % {"state": expenditure.get_state_display().lower()}
        )
    if project.state not in OPEN_STATES:
        _refuse(_("The project is settled: its spending can no longer change."))
    return project, expenditure


def _log(expenditure, *, by, source, transition, description):
    StateLog.objects.create(
        by=by,
        source_state=source,
        state=expenditure.state,
        transition=transition,
        content_type=ContentType.objects.get_for_model(Expenditure),
        object_id=expenditure.pk,
        description=description,
    )


def correct_expenditure(
    expenditure, *, by, reason, spent_on, category, share, amount, description="", evidence=None
):
    """Replace an undecided spending report by a corrected version (the original stays on
    record, CORRECTED, pointing nowhere; the new one ``corrects`` it). Without new ``evidence``
    the new version keeps the original's document."""
    if not reason.strip():
        _refuse(_("Say what the correction changes."))
    with transaction.atomic():
        project, original = _locked_undecided(expenditure, by)
        check_spending(project, spent_on=spent_on, amount=amount, share=share)
        # A project with a budget plan keeps the spending's budget category (its own form).
        if original.budget_category_id is None and category not in Expenditure.Category.values:
            _refuse(_("Choose a category of spending."))
        from .years import year_of_date

        corrected = Expenditure.objects.create(
            project=project,
            year=year_of_date(project, spent_on),
            budget_category=original.budget_category,
            spent_on=spent_on,
            category=category,
            share=share,
            amount=amount,
            description=description,
            evidence=evidence if evidence is not None else original.evidence.name,
            reported_by=by,
            corrects=original,
            change_reason=reason.strip(),
        )
        original.state = Expenditure.State.CORRECTED
        original.save(update_fields=["state"])
        _log(
            original,
            by=by,
            source=Expenditure.State.REPORTED,
            transition="correct",
            description=_("Corrected by #%(new)s: %(reason)s")
            % {"new": corrected.pk, "reason": reason.strip()},
        )
        money_invariants.require(project)
    return corrected


def withdraw_expenditure(expenditure, *, by, reason):
    """Withdraw an undecided spending report (kept on record, WITHDRAWN; it never counts)."""
    if not reason.strip():
        _refuse(_("Say why the spending report is withdrawn."))
    with transaction.atomic():
        project, expenditure = _locked_undecided(expenditure, by)
        expenditure.state = Expenditure.State.WITHDRAWN
        expenditure.change_reason = reason.strip()
        expenditure.save(update_fields=["state", "change_reason"])
        _log(
            expenditure,
            by=by,
            source=Expenditure.State.REPORTED,
            transition="withdraw",
            description=reason.strip(),
        )
        money_invariants.require(project)
    return expenditure


def versions(expenditure):
    """The expenditure's earlier versions, newest first (each one the next corrects)."""
    chain, current = [], expenditure
    while current.corrects_id:
        current = Expenditure.objects.get(pk=current.corrects_id)
        chain.append(current)
    return chain
