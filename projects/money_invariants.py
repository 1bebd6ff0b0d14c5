"""A project's money invariants (DESIGN.md §3, "Invariants"), stated once, in the rule book's
words:

- payments net of their reversals never exceed the award (and never fall below zero);
- recoveries net of their reversals never exceed what was paid beyond approved spending (plus
  the interest the settlement counted), and never fall below zero;
- a closed project takes no entry;
- settlement needs the final report accepted;
- per agreement year: payments net of their reversals never exceed the year's subsidy; a year
  after the first is paid only once the previous year's annual report is accepted; the years'
  subsidies never exceed the award; a year's budget plan adds up to its subsidy; no budget
  category holds more than its cap or less than nothing; a settlement's lines per year and
  category add up to the settlement;
- the award's local-government share matches its national subsidy at the call's national:local
  ratio (competitions.matching; the Smart City Challenge's 50:50), checked also by
  ``require_award`` inside create_award's locked transaction, before any project exists;
- a settled project's ledger stays as it was settled: what was paid (net of reversals) and the
  approved spending are those its settlement counted (settlement = disbursed − approved
  spending + interest = amount to recover, DESIGN.md §3), so no reversal of a payment after
  settlement makes the amount to recover unreachable.

``require(project)`` is called by every function of projects.ledger that writes money, inside
its transaction with the project's row locked, after the write: when the write leaves an
invariant broken it raises TransitionRefused with the reasons, and the transaction (the write
with it) is rolled back. The funding workbook's Checks sheet evaluates the same ``INVARIANTS``
on what is stored. The figures come from projects.ledger_figures (one definition of "paid" and
"recovered")."""

import dataclasses

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from competitions.formatting import format_krw
from competitions.lifecycle import TransitionRefused
from competitions.matching import MatchingRatio, local_matching_problem, ratio_of

from .ledger_figures import ProjectBudget, budget_figures, with_money
from .models import Project, ProjectState


@dataclasses.dataclass(frozen=True)
class ProjectMoney:
    """What the invariants read of one project, in integer won."""

    state: str
    awarded: int
    paid: int
    recovered: int
    approved: int
    interest_settled: int = 0
    entries_after_close: int = 0
    final_report_accepted: bool = False
    settled_disbursed: int | None = None  # the latest settlement's figures (None: not settled)
    settled_approved: int | None = None
    settled_due: int | None = None
    budget: ProjectBudget = dataclasses.field(default_factory=ProjectBudget)
    matching_return_settled: int = 0  # the latest settlement's matching shortfall to return
    committed_local: int = 0  # the award's local-government share
    ratio_national: int = 0  # the call's national:local matching ratio (0:0: none)
    ratio_local: int = 0

    @property
    def recoverable(self):
        """What was paid beyond approved spending (never below zero), plus interest settled and
        the matching shortfall settled: the most that may come back (the settlement's formula,
        DESIGN.md §3)."""
        return max(0, self.paid - self.approved) + self.interest_settled + self.matching_return_settled

    @property
    def ratio(self):
        if self.ratio_national and self.ratio_local:
            return MatchingRatio(self.ratio_national, self.ratio_local)
        return None

    @classmethod
    def of(cls, project, budget=None):
        """From a project annotated by ledger_figures.with_money, and its ProjectBudget
        (ledger_figures.budget_figures; None: a project without years)."""
        return cls(
            budget=budget or ProjectBudget(),
            settled_due=getattr(project, "settled_due", None),
            state=project.state,
            awarded=project.awarded,
            paid=project.paid,
            recovered=project.recovered,
            approved=project.approved,
            interest_settled=project.interest_settled,
            entries_after_close=project.entries_after_close,
            final_report_accepted=project.final_report_accepted,
            settled_disbursed=project.settled_disbursed,
            settled_approved=project.settled_approved,
            matching_return_settled=project.matching_return_settled,
            committed_local=project.committed_local,
            ratio_national=project.ratio_national,
            ratio_local=project.ratio_local,
        )

    @property
    def as_settled(self):
        """Whether the ledger says what the settlement counted (always, before settlement)."""
        if self.settled_disbursed is None:
            return True
        return (self.paid, self.approved) == (self.settled_disbursed, self.settled_approved)


def money_of(project):
    """The stored figures of one project (read inside the caller's locked transaction)."""
    return ProjectMoney.of(
        with_money(Project.objects.filter(pk=project.pk)).get(), budget_figures([project.pk])[project.pk]
    )


# --- Years and budget categories ---------------------------------------------------------------


def _year_overpaid(m):
    return [year for year in m.budget.years if not 0 <= year.paid <= year.subsidy]


def _paid_before_report(m):
    """Years paid while the previous year's annual report is not accepted."""
    years = m.budget.years
    return [
        year
        for previous, year in zip(years, years[1:], strict=False)
        if year.paid > 0 and not previous.report_accepted
    ]


def _plans_off(m):
    return [year for year in m.budget.years if year.categories and year.planned != year.subsidy]


def _categories_off(m):
    """(year, category) pairs holding less than nothing or more than their cap."""
    return [
        (year, category)
        for year in m.budget.years
        for category in year.categories
        if category.current < 0
        or (category.cap(year.subsidy) is not None and category.current > category.cap(year.subsidy))
    ]


def _lines_off(m):
    budget = m.budget
    if budget.lines_to_recover is None or m.settled_due is None:
        return False
    # The lines share out the unspent subsidy and interest; a matching shortfall to return is the
    # settlement's own (it belongs to no budget category).
    lines_due = budget.lines_to_recover + m.matching_return_settled
    return (lines_due, budget.lines_approved) != (m.settled_due, m.settled_approved)


def _year_overpaid_reason(m):
    year = _year_overpaid(m)[0]
    return _(
        "Payments into year %(year)s net of their reversals would come to %(paid)s, outside 0 to "
        "the year's subsidy of %(cap)s."
    ) % {"year": year.number, "paid": format_krw(year.paid), "cap": format_krw(year.subsidy)}


def _paid_before_report_reason(m):
    year = _paid_before_report(m)[0]
    return _("Year %(year)s is paid only once the annual report of year %(previous)s is accepted.") % {
        "year": year.number,
        "previous": year.number - 1,
    }


def _years_reason(m):
    return _("The years' subsidies would come to %(years)s, above the awarded subsidy of %(cap)s.") % {
        "years": format_krw(sum(year.subsidy for year in m.budget.years)),
        "cap": format_krw(m.awarded),
    }


def _plan_reason(m):
    year = _plans_off(m)[0]
    return _(
        "The budget plan of year %(year)s adds up to %(planned)s, not the year's subsidy of %(subsidy)s."
    ) % {
        "year": year.number,
        "planned": format_krw(year.planned),
        "subsidy": format_krw(year.subsidy),
    }


def _category_reason(m):
    year, category = _categories_off(m)[0]
    if category.current < 0:
        return _("%(category)s in year %(year)s would hold %(amount)s, less than nothing.") % {
            "category": category.name,
            "year": year.number,
            "amount": format_krw(category.current),
        }
    return _(
        "%(category)s in year %(year)s would hold %(amount)s, above its cap of %(percent)s%% of the "
        "year's subsidy (%(cap)s)."
    ) % {
        "category": category.name,
        "year": year.number,
        "amount": format_krw(category.current),
        "percent": category.cap_percent,
        "cap": format_krw(category.cap(year.subsidy)),
    }


def _lines_reason(m):
    return _(
        "The settlement's lines per year and category add up to %(lines)s to recover and %(approved)s "
        "approved, not the settlement's %(due)s and %(settled)s."
    ) % {
        "lines": format_krw(m.budget.lines_to_recover),
        "approved": format_krw(m.budget.lines_approved),
        "due": format_krw(m.settled_due),
        "settled": format_krw(m.settled_approved),
    }


def _paid_reason(m):
    if m.paid < 0:
        return _("Payments net of their reversals would fall below zero (%(paid)s).") % {
            "paid": format_krw(m.paid)
        }
    return _(
        "Payments net of their reversals would come to %(paid)s, above the awarded subsidy of %(cap)s."
    ) % {"paid": format_krw(m.paid), "cap": format_krw(m.awarded)}


def _recovered_reason(m):
    if m.recovered < 0:
        return _("Recoveries net of their reversals would fall below zero (%(recovered)s).") % {
            "recovered": format_krw(m.recovered)
        }
    return _(
        "Recoveries net of their reversals would come to %(recovered)s, more than was paid beyond "
        "approved spending plus interest (%(recoverable)s: paid %(paid)s, approved spending "
        "%(approved)s, interest %(interest)s)."
    ) % {
        "recovered": format_krw(m.recovered),
        "recoverable": format_krw(m.recoverable),
        "paid": format_krw(m.paid),
        "approved": format_krw(m.approved),
        "interest": format_krw(m.interest_settled),
    } + (
        " "
        + _("The settlement also counted %(matching)s of matching shortfall to return.")
        % {"matching": format_krw(m.matching_return_settled)}
        if m.matching_return_settled
        else ""
    )


def _settled_reason(m):
    return _(
        "The project was settled on %(disbursed)s paid and %(approved)s of approved spending; the "
        "ledger would then say %(paid)s paid and %(now_approved)s approved. A settled project's "
        "payments and spending stay as settled."
    ) % {
        "disbursed": format_krw(m.settled_disbursed),
        "approved": format_krw(m.settled_approved),
        "paid": format_krw(m.paid),
        "now_approved": format_krw(m.approved),
    }


@dataclasses.dataclass(frozen=True)
class Invariant:
    code: str
    statement: str  # the rule book's words (lazy: shown in the reader's language)
    holds: object  # ProjectMoney -> bool
    reason: object  # ProjectMoney -> why it does not hold, in the user's language


INVARIANTS = (
    Invariant(
        "paid_within_award",
        gettext_lazy("Payments net of their reversals never exceed the award."),
        lambda m: 0 <= m.paid <= m.awarded,
        _paid_reason,
    ),
    Invariant(
        "recovered_within_paid_beyond_spending",
        gettext_lazy(
            "Recoveries net of their reversals never exceed what was paid beyond approved spending."
        ),
        lambda m: 0 <= m.recovered <= m.recoverable,
        _recovered_reason,
    ),
    Invariant(
        "closed_takes_no_entry",
        gettext_lazy("A closed project takes no entry."),
        lambda m: m.entries_after_close == 0,
        lambda m: _("The project is closed: it takes no entry."),
    ),
    Invariant(
        "settled_with_final_report_accepted",
        gettext_lazy("Settlement needs the final report accepted."),
        lambda m: m.state not in (ProjectState.SETTLED, ProjectState.CLOSED) or m.final_report_accepted,
        lambda m: _("Settlement needs the final report accepted."),
    ),
    Invariant(
        "ledger_as_settled",
        gettext_lazy(
            "A settled project's payments and approved spending stay as its settlement counted them."
        ),
        lambda m: m.as_settled,
        _settled_reason,
    ),
    Invariant(
        "paid_within_each_year",
        gettext_lazy("Payments into a year net of their reversals never exceed the year's subsidy."),
        lambda m: not _year_overpaid(m),
        _year_overpaid_reason,
    ),
    Invariant(
        "year_paid_after_previous_report",
        gettext_lazy(
            "A year after the first is paid only once the previous year's annual report is accepted."
        ),
        lambda m: not _paid_before_report(m),
        _paid_before_report_reason,
    ),
    Invariant(
        "years_within_award",
        gettext_lazy("The years' subsidies never exceed the award."),
        lambda m: sum(year.subsidy for year in m.budget.years) <= m.awarded,
        _years_reason,
    ),
    Invariant(
        "plan_adds_up_to_year",
        gettext_lazy("A year's budget plan adds up to the year's subsidy."),
        lambda m: not _plans_off(m),
        _plan_reason,
    ),
    Invariant(
        "categories_within_caps",
        gettext_lazy("No budget category holds more than its cap or less than nothing."),
        lambda m: not _categories_off(m),
        _category_reason,
    ),
    Invariant(
        "settlement_lines_add_up",
        gettext_lazy("A settlement's lines per year and category add up to the settlement."),
        lambda m: not _lines_off(m),
        _lines_reason,
    ),
    Invariant(
        "award_matches_call_ratio",
        gettext_lazy(
            "The award's local-government share matches its national subsidy at the call's national:local ratio."
        ),
        lambda m: m.ratio is None or m.ratio.holds(m.awarded, m.committed_local),
        lambda m: local_matching_problem(m.ratio, m.awarded, m.committed_local),
    ),
)


def broken(money):
    """The invariants ``money`` (a ProjectMoney) breaks, in the order above."""
    return [invariant for invariant in INVARIANTS if not invariant.holds(money)]


def require(project):
    """Refuse (TransitionRefused, rolling back the caller's transaction) when the project's
    stored money breaks an invariant. Call inside the locked transaction, after the write."""
    money = money_of(project)
    reasons = [invariant.reason(money) for invariant in broken(money)]
    if reasons:
        raise TransitionRefused(reasons)
    return money


def require_award(award):
    """Refuse (TransitionRefused, rolling back create_award's transaction) an award whose
    local-government share does not match its national subsidy at the call's ratio. Call inside
    the award's locked transaction, after the write."""
    problem = local_matching_problem(
        ratio_of(award.application.call), award.national_subsidy, award.local_government
    )
    if problem:
        raise TransitionRefused([problem])
