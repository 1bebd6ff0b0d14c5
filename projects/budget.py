"""Budget categories (비목) of a project (DESIGN.md §2, §3): moving money between the categories
of a year, and the settlement per year and category.

- Money moved out of a category in a year, counted together with what was moved out of it
  before (approved or waiting), up to the call's threshold (``budget_transfer_threshold_percent``
  of the category's planned amount) moves at once; beyond it the transfer waits for staff
  approval. A capped category never holds more than its cap, no category less than nothing
  (money invariants, checked in the locked transaction of every transfer).
- At settlement, what was paid beyond approved spending (unspent) is shared among the year's
  categories in proportion to what each holds beyond its approved spending, and the interest in
  proportion to what each holds; each share in whole won by the largest remainder, so the lines
  add up to the settlement to the won (a money invariant)."""

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.roles import Role, has_role
from competitions.formatting import format_krw
from competitions.lifecycle import TransitionRefused

from . import money_invariants
from .ledger_figures import budget_figures
from .models import (
    BudgetLine,
    BudgetTransfer,
    Project,
    ProjectState,
    ProjectYear,
    RequestState,
    SettlementLine,
)
from .outbox import tell
from .years import log_project


def _refuse(*reasons):
    raise TransitionRefused(list(reasons))


def split_in_proportion(total, weights):
    """``total`` won shared in proportion to ``weights`` (non-negative integers), in whole won by
    the largest remainder (ties to the earlier weight): the shares add up to ``total``. With no
    weight at all, everything goes to the first share."""
    weights = list(weights)
    if not weights:
        return []
    whole = sum(weights)
    if whole == 0:
        return [total] + [0] * (len(weights) - 1)
    shares = [total * weight // whole for weight in weights]
    remainders = sorted(range(len(weights)), key=lambda i: (-(total * weights[i] % whole), i))
    for i in remainders[: total - sum(shares)]:
        shares[i] += 1
    return shares


def _tell_lead(project, subject, body=""):
    """``subject()`` is run in each reader's language; ``body`` is what staff wrote."""

    def compose():
        title = subject()
        return title, f"{title}\n\n{body}".strip()

    tell(project.award.application.lead.members.all(), compose)


def _year_figures(year):
    return next(y for y in budget_figures([year.project_id])[year.project_id].years if y.pk == year.pk)


def request_transfer(year, *, by, from_category, to_category, amount, reason):
    """Move ``amount`` won from one category of ``year`` to another (the lead's members, or
    staff): at once within the call's threshold, else waiting for staff approval."""
    project = year.project
    if not (
        has_role(by, Role.STAFF) or by.has_perm("projects.change_application", project.award.application)
    ):
        raise PermissionDenied(_("You may not move money in this project's budget."))
    if amount <= 0:
        _refuse(_("A transfer must be a positive amount."))
    if from_category.pk == to_category.pk:
        _refuse(_("Choose two different categories."))
    if not reason.strip():
        _refuse(_("Say why the money moves."))
    with transaction.atomic():
        project = (
            Project.objects.select_for_update().select_related("award__application__call").get(pk=project.pk)
        )
        year = ProjectYear.objects.get(pk=year.pk, project=project)
        if project.state != ProjectState.ACTIVE:
            _refuse(_("Budget transfers are made only while the project is active."))
        lines = {line.category_id: line for line in BudgetLine.objects.filter(year=year)}
        if from_category.pk not in lines or to_category.pk not in lines:
            _refuse(_("Both categories must be in this year's plan."))
        figures = {c.category_id: c for c in _year_figures(year).categories}
        if figures[from_category.pk].current < amount:
            _refuse(
                _("%(category)s holds %(held)s in year %(year)s; it cannot give %(amount)s.")
                % {
                    "category": from_category.display_name,
                    "held": format_krw(figures[from_category.pk].current),
                    "year": year.number,
                    "amount": format_krw(amount),
                }
            )
        moved_before = (
            BudgetTransfer.objects.filter(year=year, from_category=from_category)
            .exclude(state=RequestState.DECLINED)
            .aggregate(total=Sum("amount"))["total"]
            or 0
        )
        threshold = project.award.application.call.budget_transfer_threshold_percent
        needs_approval = (moved_before + amount) * 100 > lines[from_category.pk].amount * threshold
        transfer = BudgetTransfer.objects.create(
            year=year,
            from_category=from_category,
            to_category=to_category,
            amount=amount,
            reason=reason.strip(),
            needs_approval=needs_approval,
            state=RequestState.REQUESTED if needs_approval else RequestState.APPROVED,
            requested_by=by,
            decided_at=None if needs_approval else timezone.now(),
        )
        description = _("%(amount)s from %(source)s to %(target)s in year %(year)s: %(reason)s") % {
            "amount": format_krw(amount),
            "source": from_category.display_name,
            "target": to_category.display_name,
            "year": year.number,
            "reason": reason.strip(),
        }
        log_project(
            project,
            by=by,
            transition="request_budget_transfer" if needs_approval else "budget_transfer",
            description=description,
        )
        money_invariants.require(project)
    return transfer


def decide_transfer(transfer, *, by, approve, reason=""):
    """Staff approve a transfer beyond the threshold (the money moves) or decline it (with a
    reason); logged, and the lead's members are told."""
    if not has_role(by, Role.STAFF):
        raise PermissionDenied(_("Only ministry staff decide budget transfers."))
    if not approve and not reason.strip():
        _refuse(_("Say why the transfer is declined."))
    with transaction.atomic():
        project = (
            Project.objects.select_for_update()
            .select_related("award__application__lead")
            .get(pk=transfer.year.project_id)
        )
        transfer = BudgetTransfer.objects.select_for_update().select_related("year").get(pk=transfer.pk)
        if transfer.state != RequestState.REQUESTED:
            _refuse(_("This transfer has already been decided."))
        transfer.state = RequestState.APPROVED if approve else RequestState.DECLINED
        transfer.decided_by, transfer.decided_at = by, timezone.now()
        transfer.decision_reason = reason.strip()
        transfer.save()

        def decision():
            return (
                _("Budget transfer of %(amount)s in %(project)s approved")
                if approve
                else _("Budget transfer of %(amount)s in %(project)s declined")
            ) % {"amount": format_krw(transfer.amount), "project": project.code}

        log_project(
            project, by=by, transition="decide_budget_transfer", description=f"{decision()} {reason}".strip()
        )
        money_invariants.require(project)
        _tell_lead(project, decision, reason.strip())
    return transfer


def write_settlement_lines(settlement):
    """The settlement per year and category (inside settle's locked transaction): approved
    spending, disallowed, and the shares of unspent money and interest, adding up to the
    settlement. Nothing for a project without a budget plan."""
    budget = budget_figures([settlement.project_id])[settlement.project_id]
    cells = [(year, category) for year in budget.years for category in year.categories]
    if not cells:
        return []
    unspent = max(0, settlement.disbursed - settlement.approved_spending)
    unspent_shares = split_in_proportion(unspent, [max(0, c.current - c.spent) for _y, c in cells])
    interest_shares = split_in_proportion(settlement.interest_earned, [max(0, c.current) for _y, c in cells])
    return SettlementLine.objects.bulk_create(
        SettlementLine(
            settlement=settlement,
            year_id=year.pk,
            category_id=category.category_id,
            planned=category.current,
            approved_spending=category.spent,
            disallowed=category.disallowed,
            unspent=unspent_share,
            interest=interest_share,
            to_recover=unspent_share + interest_share,
        )
        for (year, category), unspent_share, interest_share in zip(
            cells, unspent_shares, interest_shares, strict=True
        )
    )
