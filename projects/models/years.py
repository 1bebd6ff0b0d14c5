"""An agreement's years and budget (DESIGN.md §2 "Agreement year / budget category", §3):

- ProjectYear: one year of the agreement, with its national subsidy (paid in tranches of that
  year) and its whole cost; paying year N+1 needs year N's annual report accepted;
- BudgetLine: the award's plan, one year's subsidy split by the call's budget categories (the
  lines add up to the year's subsidy; a capped category holds at most its share);
- BudgetTransfer: money moved between two categories of a year; beyond the call's threshold it
  waits for staff approval;
- AgreementChange: a requested change of the agreement (a year's amount, the period, the
  parties), decided by staff; approval applies it and keeps what it replaced;
- SettlementLine: a settlement per year and category, adding up to the project's settlement.

The rules live in projects.years, projects.budget and projects.agreement_changes; the money
invariants in projects.money_invariants."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from .award import AppendOnly, Project, Settlement


class ProjectYear(models.Model):
    project = models.ForeignKey(Project, on_delete=models.PROTECT, related_name="years")
    number = models.PositiveSmallIntegerField(_("year"))
    starts_on = models.DateField(_("from"))
    ends_on = models.DateField(_("until"))
    national_subsidy = models.PositiveBigIntegerField(_("national subsidy this year (KRW)"))
    total_cost = models.PositiveBigIntegerField(_("total cost this year, every share (KRW)"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["project", "number"]
        verbose_name = _("agreement year")
        verbose_name_plural = _("agreement years")
        constraints = [
            models.UniqueConstraint(fields=["project", "number"], name="one_year_number_per_project")
        ]

    def __str__(self):
        return _("%(project)s year %(number)s") % {"project": self.project_id, "number": self.number}


class BudgetLine(models.Model):
    """The planned amount of one category in one year (changed only by an approved agreement
    change, which keeps the previous plan)."""

    year = models.ForeignKey(ProjectYear, on_delete=models.PROTECT, related_name="budget_lines")
    category = models.ForeignKey(
        "competitions.BudgetCategory", on_delete=models.PROTECT, related_name="+", verbose_name=_("category")
    )
    amount = models.PositiveBigIntegerField(_("planned (KRW)"))

    class Meta:
        ordering = ["year", "category__position", "category_id"]
        verbose_name = _("budget line")
        verbose_name_plural = _("budget lines")
        constraints = [
            models.UniqueConstraint(fields=["year", "category"], name="one_budget_line_per_category")
        ]

    def __str__(self):
        return f"{self.year_id} {self.category_id} {self.amount}"


class RequestState(models.TextChoices):
    REQUESTED = "requested", _("Waiting for approval")
    APPROVED = "approved", pgettext_lazy("request decision", "Approved")
    DECLINED = "declined", pgettext_lazy("request decision", "Declined")


class BudgetTransfer(models.Model):
    year = models.ForeignKey(ProjectYear, on_delete=models.PROTECT, related_name="transfers")
    from_category = models.ForeignKey(
        "competitions.BudgetCategory", on_delete=models.PROTECT, related_name="+", verbose_name=_("from")
    )
    to_category = models.ForeignKey(
        "competitions.BudgetCategory", on_delete=models.PROTECT, related_name="+", verbose_name=_("to")
    )
    amount = models.PositiveBigIntegerField(_("amount (KRW)"))
    reason = models.TextField(_("why"))
    needs_approval = models.BooleanField(_("needs approval"), default=False)
    state = models.CharField(_("state"), max_length=10, choices=RequestState.choices)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_reason = models.TextField(_("reason"), blank=True)

    class Meta:
        ordering = ["year", "pk"]
        verbose_name = _("budget transfer")
        verbose_name_plural = _("budget transfers")

    def __str__(self):
        return f"{self.year_id}: {self.from_category_id} → {self.to_category_id} {self.amount}"


class AgreementChange(models.Model):
    class Kind(models.TextChoices):
        AMOUNT = "amount", _("A year's amount")
        PERIOD = "period", _("Period")
        MEMBERS = "members", _("Parties and members")

    project = models.ForeignKey(Project, on_delete=models.PROTECT, related_name="agreement_changes")
    kind = models.CharField(_("change"), max_length=10, choices=Kind.choices)
    year = models.ForeignKey(
        ProjectYear, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("year")
    )
    # What is asked for, and (filled at approval) what it replaced: plain JSON of the fields
    # concerned ({"national_subsidy": n, "plan": {category id: n}}, {"ends_on": "YYYY-MM-DD"},
    # {"parties": text}).
    proposed = models.JSONField(_("proposed"))
    previous = models.JSONField(_("replaced"), null=True, blank=True)
    reason = models.TextField(_("why"))
    state = models.CharField(
        _("state"), max_length=10, choices=RequestState.choices, default=RequestState.REQUESTED
    )
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_reason = models.TextField(_("reason"), blank=True)

    class Meta:
        ordering = ["project", "pk"]
        verbose_name = _("agreement change")
        verbose_name_plural = _("agreement changes")

    def __str__(self):
        return f"{self.project_id} {self.kind} {self.state}"


class SettlementLine(AppendOnly):
    """One year and category of a settlement: planned, approved spending, disallowed (reported
    but not approved), unspent and interest (the settlement's shares of what is paid beyond
    spending and of the interest), to recover = unspent + interest."""

    settlement = models.ForeignKey(Settlement, on_delete=models.PROTECT, related_name="lines")
    year = models.ForeignKey(ProjectYear, on_delete=models.PROTECT, related_name="+")
    category = models.ForeignKey("competitions.BudgetCategory", on_delete=models.PROTECT, related_name="+")
    planned = models.BigIntegerField(_("planned (KRW)"))
    approved_spending = models.BigIntegerField(_("approved spending (KRW)"))
    disallowed = models.BigIntegerField(_("disallowed (KRW)"))
    unspent = models.BigIntegerField(_("unspent (KRW)"))
    interest = models.BigIntegerField(_("interest (KRW)"))
    to_recover = models.BigIntegerField(_("to recover (KRW)"))

    class Meta:
        ordering = ["settlement", "year__number", "category__position", "pk"]
        verbose_name = _("settlement line")
        verbose_name_plural = _("settlement lines")
