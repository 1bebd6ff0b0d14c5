"""The one place that changes money (DESIGN.md §3, "Money and ledgers").

Every function checks who may act, locks the project row for the whole change (so two
payments racing on PostgreSQL are serialized and the second sees the first), refuses with a
reason in the user's language and changes nothing, or writes an append-only record with who,
when and why. Amounts are integer won.
"""

import dataclasses
from datetime import timedelta

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django_fsm_log.models import StateLog

from accounts.roles import Role, has_role
from competitions.eligibility import evaluate, failures, local_matching
from competitions.formatting import format_krw
from competitions.lifecycle import TransitionRefused, require_call_state
from competitions.matching import ratio_of
from competitions.models import EligibilityRule

from . import budget, money_invariants, spending
from . import parties as agreement_parties
from . import years as agreement_years
from .eligibility_check import application_facts
from .ledger_figures import APPROVED_NATIONAL, PAID, RECOVERED
from .matching import project_matching
from .models import (
    Application,
    ApplicationState,
    Award,
    BudgetLine,
    DisbursementEntry,
    Expenditure,
    FundingShare,
    Project,
    ProjectState,
    Report,
    ReportStatus,
    Sanction,
    Settlement,
)
from .outbox import tell

# The call's eligibility rules that also bind the awarded funding plan.
FUNDING_RULE_KINDS = ("matching_funds", "national_share")
FINAL_REPORT_DUE = timedelta(days=60)  # after the demonstration ends
MAX_TRANCHE = 100  # tranches of one project are numbered 1 .. 100


def _staff(user):
    if not has_role(user, Role.STAFF):
        raise PermissionDenied(_("Only ministry staff change awards and ledgers."))


def _refuse(*reasons):
    raise TransitionRefused(list(reasons))


# --- Award and agreement ----------------------------------------------------------------------


def accept_selection(application, *, by):
    """The selected applicant accepts the award (the alternative is to decline it)."""
    if not by.has_perm("projects.change_application", application):
        raise PermissionDenied(_("You may not accept for this application."))
    with transaction.atomic():
        application = Application.objects.select_for_update().get(pk=application.pk)
        if application.state != ApplicationState.SELECTED:
            _refuse(_("Only a selected application can be accepted."))
        if application.accepted_at:
            _refuse(_("The award has already been accepted."))
        application.accepted_at = timezone.now()
        application.save(update_fields=["accepted_at", "updated_at"])
        StateLog.objects.create(
            by=by,
            source_state=application.state,
            state=application.state,
            transition="accept",
            content_type=ContentType.objects.get_for_model(Application),
            object_id=application.pk,
            description=_("Award accepted by the applicant."),
        )
    return application


def funding_plan_problems(application, plan):
    """Why a funding plan breaks the call's matching rules (empty when it keeps them).
    ``plan``: national_subsidy, local_government, private_cash, private_in_kind."""
    facts = dataclasses.replace(
        application_facts(application),
        requested_subsidy=plan["national_subsidy"],
        local_government=plan["local_government"],
        private_cash=plan["private_cash"],
        private_in_kind=plan["private_in_kind"],
    )
    configured = [
        (kind, params)
        for kind, params in EligibilityRule.configured_for(application.call_id, application.track_id)
        if kind in FUNDING_RULE_KINDS
    ]
    problems = [f"{result.label}: {result.reason}" for result in failures(evaluate(configured, facts))]
    local = local_matching(dataclasses.replace(facts, matching_ratio=ratio_of(application.call)))
    if local is not None and not local.passed:
        problems.append(f"{local.label}: {local.reason}")
    return problems


def create_award(
    application,
    *,
    by,
    national_subsidy=None,
    reason="",
    local_government=None,
    private_cash=None,
    private_in_kind=None,
):
    """The funding plan of a selected application. Staff may lower the subsidy from the
    request, with a reason; the plan must keep the call's matching rules."""
    _staff(by)
    with transaction.atomic():
        application = (
            Application.objects.select_for_update()
            .select_related("call", "track", "lead")
            .get(pk=application.pk)
        )
        if application.state != ApplicationState.SELECTED:
            _refuse(_("Only a selected application receives an award."))
        if not application.accepted_at:
            _refuse(_("The applicant has not accepted the award yet."))
        if Award.objects.filter(application=application).exists():
            _refuse(_("This application already has an award."))
        plan = {
            "national_subsidy": application.requested_subsidy
            if national_subsidy is None
            else national_subsidy,
            "local_government": application.local_government
            if local_government is None
            else local_government,
            "private_cash": application.private_cash if private_cash is None else private_cash,
            "private_in_kind": application.private_in_kind if private_in_kind is None else private_in_kind,
        }
        if any(value < 0 for value in plan.values()):
            _refuse(_("Amounts cannot be negative."))
        if plan["national_subsidy"] > application.requested_subsidy:
            _refuse(
                _("The subsidy awarded (%(awarded)s) cannot exceed the request (%(requested)s).")
                % {
                    "awarded": format_krw(plan["national_subsidy"]),
                    "requested": format_krw(application.requested_subsidy),
                }
            )
        if plan["national_subsidy"] < application.requested_subsidy and not reason.strip():
            _refuse(_("Say why the subsidy is lower than the request."))
        problems = funding_plan_problems(application, plan)
        if problems:
            raise TransitionRefused(problems)
        award = Award.objects.create(
            application=application, adjustment_reason=reason.strip(), created_by=by, **plan
        )
        money_invariants.require_award(award)
        return award


def sign_agreement(award, *, by, signed_on, parties, starts_on, ends_on, phases=()):
    """The agreement makes the award a Project (active for its demonstration period)."""
    _staff(by)
    if ends_on <= starts_on:
        _refuse(_("The demonstration must end after it starts."))
    with transaction.atomic():
        require_call_state(award.application.call, "agreement", by=by)  # once results are published
        application = Application.objects.select_for_update().get(pk=award.application_id)
        if Project.objects.filter(award=award).exists():
            _refuse(_("The agreement is already signed."))
        application.sign_agreement(
            by=by, description=_("Agreement signed on %(date)s.") % {"date": signed_on}
        )
        application.save()
        project = Project.objects.create(
            award=award,
            code=f"P-{application.reference}",
            agreement_signed_on=signed_on,
            agreement_parties=parties,
            starts_on=starts_on,
            ends_on=ends_on,
        )
        agreement_parties.create_parties(project, application, award)
        for position, (name, phase_start, phase_end) in enumerate(phases):
            phase = project.phases.create(
                name=name, starts_on=phase_start, ends_on=phase_end, position=position
            )
            project.reports.create(phase=phase, kind=Report.Kind.PROGRESS, due_on=phase_end)
        project.reports.create(kind=Report.Kind.FINAL, due_on=ends_on + FINAL_REPORT_DUE)
    return project


# --- Disbursement ledger ------------------------------------------------------------------------
#
# Every write below runs in one transaction with the project's row locked, checks the project's
# state, writes, and then calls money_invariants.require: a write that would leave a money
# invariant broken is refused and rolled back.


def totals(project_id):
    """(paid, recovered) for one project, each net of its reversals (ledger_figures' definition)."""
    sums = DisbursementEntry.objects.filter(project_id=project_id).aggregate(
        paid=Sum("amount", filter=PAID), recovered=Sum("amount", filter=RECOVERED)
    )
    return sums["paid"] or 0, sums["recovered"] or 0


def _locked_project(project):
    return Project.objects.select_for_update().select_related("award").get(pk=project.pk)


def _check_entry_date(project, on, kind):
    """A payment or recovery is dated between the agreement's signature and today (Asia/Seoul)."""
    payment = kind == DisbursementEntry.Kind.PAYMENT
    if on > timezone.localdate():
        _refuse(
            (
                _("A payment cannot be dated in the future (%(date)s).")
                if payment
                else _("A recovery cannot be dated in the future (%(date)s).")
            )
            % {"date": on}
        )
    if on < project.agreement_signed_on:
        _refuse(
            (
                _("A payment cannot be dated before the agreement was signed on %(signed)s.")
                if payment
                else _("A recovery cannot be dated before the agreement was signed on %(signed)s.")
            )
            % {"signed": project.agreement_signed_on}
        )


def _earlier_payment_of(project, tranche):
    """The payment a new payment of ``tranche`` would replace: None when the tranche was never
    paid; refused when its latest payment stands (not reversed)."""
    if tranche is None:
        return None
    latest = (
        DisbursementEntry.objects.filter(
            project=project, kind=DisbursementEntry.Kind.PAYMENT, tranche=tranche
        )
        .order_by("-pk")
        .first()
    )
    if latest is not None and not DisbursementEntry.objects.filter(reverses=latest).exists():
        _refuse(
            _(
                "Tranche %(tranche)s was already paid on %(date)s (entry #%(entry)s); reverse it first to pay it again."
            )
            % {"tranche": tranche, "date": latest.entry_date, "entry": latest.pk}
        )
    return latest


def post_payment(project, *, by, amount, paid_on, reference="", tranche=None, note="", year=None):
    """Pay a tranche. Never more than the awarded subsidy in total; not while halted; a tranche
    once per project (again only in place of a reversed payment). A project with agreement
    years is paid into a year (``year``: its number), never beyond the year's subsidy, and a
    year after the first only once the previous year's annual report is accepted."""
    _staff(by)
    if amount <= 0:
        _refuse(_("A payment must be a positive amount."))
    if tranche is not None and not 1 <= tranche <= MAX_TRANCHE:
        _refuse(_("A tranche is numbered from 1 to %(max)s.") % {"max": MAX_TRANCHE})
    with transaction.atomic():
        project = _locked_project(project)
        if not project.takes_payments:
            _refuse(_("Payments go only to active projects."))
        if project.payments_halted:
            _refuse(_("Payments are halted: %(reason)s") % {"reason": project.halt_reason})
        _check_entry_date(project, paid_on, DisbursementEntry.Kind.PAYMENT)
        paid_year = agreement_years.year_to_pay(project, year)
        replaces = _earlier_payment_of(project, tranche)
        entry = DisbursementEntry.objects.create(
            project=project,
            year=paid_year,
            kind=DisbursementEntry.Kind.PAYMENT,
            amount=amount,
            entry_date=paid_on,
            reference=reference,
            tranche=tranche,
            replaces=replaces,
            note=note,
            posted_by=by,
        )
        money_invariants.require(project)

        # The lead's members hear of it through the outbox (sent after commit, or by the next
        # sweep when the broker is down).
        def payment_notice():
            subject = _("Payment of %(amount)s to %(project)s") % {
                "amount": format_krw(amount),
                "project": project.code,
            }
            return subject, subject

        tell(project.award.application.lead.members.all(), payment_notice)
        return entry


def post_payments(items, *, by, year=None):
    """Bulk tranche posting: (project, amount, paid_on, reference, tranche) each, into agreement
    year ``year`` of the projects that have years; returns (posted entries, [(project, reasons)])."""
    posted, refused = [], []
    for project, amount, paid_on, reference, tranche in items:
        try:
            posted.append(
                post_payment(
                    project,
                    by=by,
                    amount=amount,
                    paid_on=paid_on,
                    reference=reference,
                    tranche=tranche,
                    year=year if project.years.exists() else None,
                )
            )
        except (TransitionRefused, PermissionDenied) as exc:
            refused.append((project, getattr(exc, "reasons", [str(exc)])))
    return posted, refused


def reverse_entry(entry, *, by, reason, on=None):
    """Correct a posted entry by a reversal pointing to it (the original stays as it was). The
    reversal counts against what the entry counted toward (paid or recovered)."""
    _staff(by)
    if not reason.strip():
        _refuse(_("Say why the entry is reversed."))
    with transaction.atomic():
        project = _locked_project(entry.project)
        entry = DisbursementEntry.objects.get(pk=entry.pk)
        if not project.takes_entries:
            _refuse(_("The project is closed: it takes no entry."))
        if entry.kind == DisbursementEntry.Kind.REVERSAL:
            _refuse(_("A reversal cannot itself be reversed; post a new entry instead."))
        if DisbursementEntry.objects.filter(reverses=entry).exists():
            _refuse(_("This entry has already been reversed."))
        reversal = DisbursementEntry.objects.create(
            project=project,
            kind=DisbursementEntry.Kind.REVERSAL,
            amount=-entry.amount,
            entry_date=on or timezone.localdate(),
            reference=entry.reference,
            tranche=entry.tranche,
            year_id=entry.year_id,
            reverses=entry,
            note=reason.strip(),
            posted_by=by,
        )
        money_invariants.require(project)
        return reversal


def set_payments_halted(project, *, by, halted, reason=""):
    """Halt payments (e.g. while the private contribution is unpaid) or resume them; logged."""
    _staff(by)
    if halted and not reason.strip():
        _refuse(_("Say why payments are halted."))
    with transaction.atomic():
        project = _locked_project(project)
        project.payments_halted, project.halt_reason = halted, reason.strip() if halted else ""
        project.save(update_fields=["payments_halted", "halt_reason"])
        StateLog.objects.create(
            by=by,
            source_state=project.state,
            state=project.state,
            transition="halt_payments" if halted else "resume_payments",
            content_type=ContentType.objects.get_for_model(Project),
            object_id=project.pk,
            description=reason.strip() or None,
        )
    return project


def post_recovery(project, *, by, amount, received_on, reference=""):
    """Money returned by the project (after settlement, or on a finding of misuse): never more
    than was paid beyond approved spending (plus interest settled); a closed project takes none."""
    _staff(by)
    if amount <= 0:
        _refuse(_("A recovery must be a positive amount."))
    with transaction.atomic():
        project = _locked_project(project)
        if not project.takes_entries:
            _refuse(_("The project is closed: it takes no entry."))
        _check_entry_date(project, received_on, DisbursementEntry.Kind.RECOVERY)
        entry = DisbursementEntry.objects.create(
            project=project,
            kind=DisbursementEntry.Kind.RECOVERY,
            amount=amount,
            entry_date=received_on,
            reference=reference,
            posted_by=by,
        )
        money_invariants.require(project)
        return entry


# --- Expenditures -------------------------------------------------------------------------------


def report_expenditure(
    project,
    *,
    by,
    spent_on,
    amount,
    evidence,
    category="",
    description="",
    budget_category=None,
    share=FundingShare.NATIONAL,
):
    """The applicant reports spending with its evidence document and the share of the funding
    plan that paid for it (the project locked, so its state cannot change under the check). A
    project with agreement years records the year the spending falls in; one with a budget plan
    records the call's budget category (required, and one of the year's plan)."""
    spending.require_may_report(by, project)
    if amount <= 0:
        _refuse(_("Spending must be a positive amount."))
    with transaction.atomic():
        project = _locked_project(project)
        if project.state != ProjectState.ACTIVE:
            _refuse(_("Spending is reported only while the project is active."))
        spending.check_spending(project, spent_on=spent_on, amount=amount, share=share)
        spent_year = agreement_years.year_of_date(project, spent_on)
        planned = set(BudgetLine.objects.filter(year=spent_year).values_list("category_id", flat=True))
        if planned and budget_category is None:
            _refuse(_("Say which budget category the spending is for."))
        if budget_category is not None and budget_category.pk not in planned:
            _refuse(_("The budget category is not in this year's plan."))
        if budget_category is not None and not category:
            category = budget_category.code if budget_category.code in Expenditure.Category.values else ""
        if not category and budget_category is None:
            _refuse(_("Say which category the spending is for."))
        expenditure = Expenditure.objects.create(
            project=project,
            year=spent_year,
            budget_category=budget_category,
            spent_on=spent_on,
            category=category,
            share=share,
            amount=amount,
            evidence=evidence,
            description=description,
            reported_by=by,
        )
        money_invariants.require(project)
    return expenditure


def decide_expenditure(expenditure, *, by, approved_amount=None, reason=""):
    """Approve (possibly a lower amount, with a reason) or reject (``approved_amount`` None,
    with a reason)."""
    _staff(by)
    with transaction.atomic():
        _locked_project(expenditure.project)
        expenditure = Expenditure.objects.select_for_update().select_related("project").get(pk=expenditure.pk)
        if expenditure.state != Expenditure.State.REPORTED:
            _refuse(_("This expenditure has already been decided."))
        if approved_amount is None:
            if not reason.strip():
                _refuse(_("Say why the expenditure is rejected."))
            expenditure.state = Expenditure.State.REJECTED
        else:
            if not 0 <= approved_amount <= expenditure.amount:
                _refuse(
                    _("Approve between 0 and the amount reported (%(amount)s).")
                    % {"amount": format_krw(expenditure.amount)}
                )
            if approved_amount < expenditure.amount and not reason.strip():
                _refuse(_("Say why less than the amount reported is approved."))
            expenditure.state = Expenditure.State.APPROVED
            expenditure.approved_amount = approved_amount
        expenditure.decision_reason = reason.strip()
        expenditure.decided_by, expenditure.decided_at = by, timezone.now()
        expenditure.save()
        money_invariants.require(expenditure.project)
    return expenditure


def approved_spending(project_id):
    """Approved spending paid from the national subsidy (what settles what was paid)."""
    return (
        Expenditure.objects.filter(APPROVED_NATIONAL, project_id=project_id).aggregate(
            total=Sum("approved_amount")
        )["total"]
        or 0
    )


# --- Settlement and sanctions -------------------------------------------------------------------


def settlement_amounts(paid, approved, interest):
    """disbursed − approved spending + interest earned = amount to recover (never negative:
    spending above what was paid is the applicant's own contribution)."""
    return max(0, paid - approved) + interest


def settle(project, *, by, interest_earned=0):
    """Settle once the final report is accepted and every expenditure decided. Matching funds
    are re-checked on approved spending (projects.matching): the national subsidy spent beyond
    what the local government's approved spending matches at the call's ratio is added to the
    amount to recover, which staff then post as recoveries (post_recovery)."""
    _staff(by)
    if interest_earned < 0:
        _refuse(_("Interest earned cannot be negative."))
    with transaction.atomic():
        project = _locked_project(project)
        if project.state not in (ProjectState.ACTIVE, ProjectState.FINAL_REPORT):
            _refuse(_("This project is already settled."))
        if not project.reports.filter(kind=Report.Kind.FINAL, status=ReportStatus.ACCEPTED).exists():
            _refuse(_("Settlement needs the final report accepted."))
        if project.expenditures.filter(state=Expenditure.State.REPORTED).exists():
            _refuse(_("Decide every reported expenditure before settling."))
        paid, _recovered = totals(project.pk)
        approved = approved_spending(project.pk)
        matching = project_matching(project, paid)
        # Counted on national spending within what was paid, so never twice with the unspent part.
        to_return = matching.to_return
        settlement = Settlement.objects.create(
            project=project,
            disbursed=paid,
            approved_spending=approved,
            interest_earned=interest_earned,
            matching_return=to_return,
            private_return=matching.private_return,
            to_recover=settlement_amounts(paid, approved, interest_earned) + to_return,
            settled_by=by,
        )
        budget.write_settlement_lines(settlement)
        description = _("Settled: %(amount)s to recover.") % {"amount": format_krw(settlement.to_recover)}
        if matching.local_return:
            local = matching.local
            description += " " + _(
                "The local government spent %(actual)s of the %(committed)s it committed; at the "
                "call's national:local ratio of %(ratio)s that matches %(covered)s of the "
                "%(spent)s national subsidy spent, so %(due)s is to be returned."
            ) % {
                "actual": format_krw(local.actual),
                "committed": format_krw(local.committed),
                "ratio": str(matching.ratio),
                "covered": format_krw(matching.national_covered),
                "spent": format_krw(matching.national_spent),
                "due": format_krw(matching.local_return),
            }
        if matching.private_return:
            description += " " + _(
                "The private sector spent %(actual)s; at the call's private match of %(percent)s won "
                "per 100 won of national subsidy that matches %(covered)s of the %(spent)s national "
                "subsidy spent, so %(due)s is to be returned."
            ) % {
                "actual": format_krw(matching.private_actual),
                "percent": matching.private_percent,
                "covered": format_krw(matching.private_covered),
                "spent": format_krw(matching.national_spent),
                "due": format_krw(matching.private_return),
            }
        if matching.local_return and matching.private_return:
            description += " " + _(
                "Both shares fell short; the larger amount, %(due)s, is returned once."
            ) % {"due": format_krw(to_return)}
        project.settle(by=by, description=description)
        project.save(update_fields=["state"])
        money_invariants.require(project)
    return settlement


def close_project(project, *, by):
    """Close once everything due has been recovered."""
    _staff(by)
    with transaction.atomic():
        project = _locked_project(project)
        settlement = project.settlements.order_by("-pk").first()
        if project.state != ProjectState.SETTLED or settlement is None:
            _refuse(_("Settle the project before closing it."))
        _paid, recovered = totals(project.pk)
        if recovered < settlement.to_recover:
            _refuse(
                _("%(due)s is still to be recovered.")
                % {"due": format_krw(settlement.to_recover - recovered)}
            )
        project.close(by=by, description=_("All due recovered."))
        project.save(update_fields=["state"])
        money_invariants.require(project)
    return project


def record_sanction(organisation, *, by, years, reason, starts_on=None):
    """Exclude an organisation from calls for ``years`` (read by the "no active sanction" rule)."""
    _staff(by)
    if years <= 0 or not reason.strip():
        _refuse(_("A sanction needs a positive number of years and a reason."))
    starts_on = starts_on or timezone.localdate()
    try:
        ends_on = starts_on.replace(year=starts_on.year + years)
    except ValueError:  # 29 February
        ends_on = starts_on.replace(year=starts_on.year + years, day=28)
    return Sanction.objects.create(
        organisation=organisation, starts_on=starts_on, ends_on=ends_on, reason=reason.strip(), created_by=by
    )
