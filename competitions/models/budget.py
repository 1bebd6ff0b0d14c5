"""A Call's budget categories (비목) and their caps: how each year's money of an award is split,
what spending is recorded against, and how far money may move between categories without
staff approval (Call.budget_transfer_threshold_percent). The rules live in projects.budget."""

from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from .call import Call
from .localized import LocalizedName


class BudgetCategory(LocalizedName):
    """One expense category of a call, e.g. personnel (인건비) or indirect costs (간접비), with an
    optional cap: at most ``cap_percent`` % of a year's money."""

    call = models.ForeignKey(
        Call, on_delete=models.CASCADE, related_name="budget_categories", verbose_name=_("call")
    )
    code = models.CharField(
        _("code"),
        max_length=20,
        validators=[RegexValidator(r"^[a-z0-9_]+$", message=_("Use lower-case letters, digits and _."))],
    )
    cap_percent = models.PositiveSmallIntegerField(
        _("cap (percent of the year's money)"),
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
        help_text=_("Leave empty for no cap."),
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["call", "position", "pk"]
        verbose_name = _("budget category")
        verbose_name_plural = _("budget categories")
        constraints = [
            models.UniqueConstraint(fields=["call", "code"], name="one_budget_category_code_per_call")
        ]

    def cap_of(self, year_money):
        """The most this category may hold of ``year_money`` won (None: no cap); rounded down."""
        if self.cap_percent is None:
            return None
        return year_money * self.cap_percent // 100
