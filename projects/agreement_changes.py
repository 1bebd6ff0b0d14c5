"""Changes to a signed agreement (DESIGN.md §3): a year's amount (with the year's new budget
plan), the period, or the parties and members. The lead's members or staff request a change
with a reason; staff approve it (it is applied, and what it replaced is kept on the request) or
decline it with a reason. Nothing about the agreement changes without such a record; every
decision is logged in the project's history and the lead's members are told."""

from datetime import date

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.roles import Role, has_role
from competitions.formatting import format_krw
from competitions.lifecycle import TransitionRefused

from . import money_invariants, parties
from .ledger import FINAL_REPORT_DUE
from .models import (
    AgreementChange,
    Award,
    BudgetLine,
    Project,
    ProjectState,
    ProjectYear,
    Report,
    RequestState,
)
from .outbox import tell
from .years import categories_of, log_project

Kind = AgreementChange.Kind


def _refuse(*reasons):
    raise TransitionRefused(list(reasons))


def request_change(
    project, *, by, kind, reason, year=None, national_subsidy=None, plan=None, ends_on=None, members=None
):
    """Ask for a change of the agreement. ``kind`` amount: ``year`` (a ProjectYear of the
    project), its new ``national_subsidy`` and, when the call has budget categories, its new
    ``plan`` {category: amount} adding up to it; period: the new ``ends_on``; members: the whole
    new list of ``members`` besides the lead, each (organisation, role, share %); the lead keeps
    the rest. An organisation it adds is asked for its consent (projects.parties)."""
    if not (
        has_role(by, Role.STAFF) or by.has_perm("projects.change_application", project.award.application)
    ):
        raise PermissionDenied(_("You may not request changes to this agreement."))
    if not reason.strip():
        _refuse(_("Say why the agreement should change."))
    with transaction.atomic():
        project = Project.objects.select_for_update().select_related("award__application").get(pk=project.pk)
        if project.state != ProjectState.ACTIVE:
            _refuse(_("Only an active project's agreement changes."))
        if kind == Kind.AMOUNT:
            if year is None or year.project_id != project.pk:
                _refuse(_("Choose the year whose amount changes."))
            if national_subsidy is None or national_subsidy < 0:
                _refuse(_("Enter the year's new subsidy in whole won."))
            categories = categories_of(project)
            plan = {
                str(getattr(category, "pk", category)): amount for category, amount in (plan or {}).items()
            }
            if categories and sum(plan.values()) != national_subsidy:
                _refuse(
                    _("The plan adds up to %(planned)s; it must add up to the year's subsidy of %(subsidy)s.")
                    % {"planned": format_krw(sum(plan.values())), "subsidy": format_krw(national_subsidy)}
                )
            if any(amount < 0 for amount in plan.values()):
                _refuse(_("Amounts cannot be negative."))
            proposed = {"national_subsidy": national_subsidy, "plan": plan}
        elif kind == Kind.PERIOD:
            if ends_on is None or ends_on <= project.starts_on:
                _refuse(_("The demonstration must end after it starts."))
            proposed = {"ends_on": ends_on.isoformat()}
        elif kind == Kind.MEMBERS:
            if members is None:
                _refuse(_("List the members of the agreement."))
            proposed = parties.member_proposal(project, members)
        else:
            _refuse(_("Choose what changes."))
        change = AgreementChange.objects.create(
            project=project,
            kind=kind,
            year=year if kind == Kind.AMOUNT else None,
            proposed=proposed,
            reason=reason.strip(),
            requested_by=by,
        )
        if kind == Kind.MEMBERS:
            parties.ask_new_members(change, project)
        log_project(
            project,
            by=by,
            transition="request_agreement_change",
            description=_("Change requested (%(kind)s): %(reason)s")
            % {"kind": change.get_kind_display(), "reason": change.reason},
        )
    return change


def _apply(change, project):
    """Apply an approved change; returns what it replaced."""
    proposed = change.proposed
    if change.kind == Kind.AMOUNT:
        year = ProjectYear.objects.get(pk=change.year_id)
        award = Award.objects.select_for_update().get(pk=project.award_id)
        lines = {str(line.category_id): line for line in BudgetLine.objects.filter(year=year)}
        previous = {
            "national_subsidy": year.national_subsidy,
            "total_cost": year.total_cost,
            "award_national_subsidy": award.national_subsidy,
            "plan": {key: line.amount for key, line in lines.items()},
        }
        difference = proposed["national_subsidy"] - year.national_subsidy
        if award.national_subsidy + difference < 0 or year.total_cost + difference < 0:
            _refuse(_("Amounts cannot be negative."))
        award.national_subsidy += difference
        award.save(update_fields=["national_subsidy"])
        year.national_subsidy = proposed["national_subsidy"]
        year.total_cost += difference
        year.save(update_fields=["national_subsidy", "total_cost"])
        plan = {key: 0 for key in lines} | proposed["plan"]  # a category left out holds nothing
        for key, amount in plan.items():
            if key in lines:
                lines[key].amount = amount
                lines[key].save(update_fields=["amount"])
            else:
                BudgetLine.objects.create(year=year, category_id=int(key), amount=amount)
        return previous
    if change.kind == Kind.PERIOD:
        previous = {"ends_on": project.ends_on.isoformat()}
        project.ends_on = date.fromisoformat(proposed["ends_on"])
        if project.ends_on <= project.starts_on:
            _refuse(_("The demonstration must end after it starts."))
        project.save(update_fields=["ends_on"])
        Report.objects.filter(project=project, kind=Report.Kind.FINAL, submitted_at__isnull=True).update(
            due_on=project.ends_on + FINAL_REPORT_DUE
        )
        return previous
    return parties.apply_members(change, project)


def decide_change(change, *, by, approve, reason=""):
    """Staff approve a requested change (applied; the money invariants must still hold: a year
    never below what was paid into it, the plan adding up, caps) or decline it with a reason."""
    if not has_role(by, Role.STAFF):
        raise PermissionDenied(_("Only ministry staff decide changes to an agreement."))
    if not approve and not reason.strip():
        _refuse(_("Say why the change is declined."))
    with transaction.atomic():
        project = (
            Project.objects.select_for_update()
            .select_related("award__application__lead")
            .get(pk=change.project_id)
        )
        change = AgreementChange.objects.select_for_update().get(pk=change.pk)
        if change.state != RequestState.REQUESTED:
            _refuse(_("This change has already been decided."))
        if approve and project.state != ProjectState.ACTIVE:
            _refuse(_("Only an active project's agreement changes."))
        if approve:
            change.previous = _apply(change, project)
        elif change.kind == Kind.MEMBERS:
            parties.cancel_asked(change)
        change.state = RequestState.APPROVED if approve else RequestState.DECLINED
        change.decided_by, change.decided_at = by, timezone.now()
        change.decision_reason = reason.strip()
        change.save()

        def decision():
            return (
                _("Change to the agreement of %(project)s approved: %(kind)s")
                if approve
                else _("Change to the agreement of %(project)s declined: %(kind)s")
            ) % {"project": project.code, "kind": change.get_kind_display()}

        log_project(
            project, by=by, transition="decide_agreement_change", description=f"{decision()} {reason}".strip()
        )
        money_invariants.require(project)
        tell(
            project.award.application.lead.members.all(),
            lambda: (decision(), f"{decision()}\n\n{reason}".strip()),
        )
    return change
