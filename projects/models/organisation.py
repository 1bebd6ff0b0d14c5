"""Organisations that apply (companies, universities, local governments, ...), their members,
their financials (for the size class) and sanctions against them."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from competitions.models import Region
from projects.registration_number import format_registration_number, validate_registration_number
from projects.size_class import CompanyFacts, Industry, classify


class OrganisationKind(models.TextChoices):
    COMPANY = "company", _("Company")
    UNIVERSITY = "university", _("University")
    LOCAL_GOVERNMENT = "local_government", _("Local government")
    PUBLIC_INSTITUTION = "public_institution", _("Public institution")
    NONPROFIT = "nonprofit", _("Non-profit organisation")


class Organisation(models.Model):
    name = models.CharField(_("name"), max_length=200)
    registration_number = models.CharField(
        _("business registration number"),
        max_length=10,
        unique=True,
        validators=[validate_registration_number],
        help_text=_("10 digits, e.g. 123-45-67890."),
    )
    kind = models.CharField(_("kind"), max_length=20, choices=OrganisationKind.choices)
    region = models.ForeignKey(Region, on_delete=models.PROTECT, verbose_name=_("region"))
    industry = models.CharField(_("industry"), max_length=40, choices=Industry.choices, blank=True)
    largest_shareholder_share_percent = models.DecimalField(
        _("largest shareholder's share (%)"),
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )
    largest_shareholder_assets = models.PositiveBigIntegerField(
        _("largest shareholder's total assets (KRW)"), null=True, blank=True
    )
    in_disclosed_large_group = models.BooleanField(
        _("member of a disclosed business group (assets of 5 trillion KRW or more)"), default=False
    )
    in_mutual_investment_restricted_group = models.BooleanField(
        _("member of a mutual-investment-restricted business group"), default=False
    )
    women_owned = models.BooleanField(_("women-owned business"), default=False)
    size_class = models.CharField(_("size class"), max_length=20, blank=True)
    size_class_reason = models.TextField(_("why this size class"), blank=True)
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="Membership", related_name="organisations"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    # What an organisation declares about itself, on the form and in an import; the size class
    # is computed from these and its fiscal years, never entered.
    DECLARED_FIELDS = (
        "name",
        "registration_number",
        "kind",
        "region",
        "industry",
        "largest_shareholder_share_percent",
        "largest_shareholder_assets",
        "in_disclosed_large_group",
        "in_mutual_investment_restricted_group",
        "women_owned",
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")

    def __str__(self):
        return self.name

    @property
    def registration_number_display(self):
        return format_registration_number(self.registration_number)

    def company_facts(self, years=None):
        # The last three fiscal years count (fiscal_years is ordered newest first).
        years = list(self.fiscal_years.all())[:3] if years is None else years
        return CompanyFacts(
            kind=self.kind,
            industry=self.industry or None,
            sales_last_3_years=[year.sales for year in years],
            total_assets=max(years, key=lambda y: y.year).total_assets if years else None,
            largest_shareholder_share_percent=self.largest_shareholder_share_percent,
            largest_shareholder_assets=self.largest_shareholder_assets,
            in_disclosed_large_group=self.in_disclosed_large_group,
            in_mutual_investment_restricted_group=self.in_mutual_investment_restricted_group,
        )

    def refresh_size_class(self, on=None):
        """Recompute the size class from the financials (one function: projects.size_class)."""
        result = classify(self.company_facts(), on=on)
        self.size_class, self.size_class_reason = result.code, result.reason
        self.save(update_fields=["size_class", "size_class_reason"])
        return result

    def active_sanction(self, on=None):
        """The sanction in force on ``on`` (today), read from prefetched rows when there are."""
        today = on or timezone.localdate()
        return next((s for s in self.sanctions.all() if s.starts_on <= today <= s.ends_on), None)


class Membership(models.Model):
    class Role(models.TextChoices):
        OWNER = "owner", _("Owner")
        MEMBER = "member", _("Member")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(_("role"), max_length=10, choices=Role.choices, default=Role.MEMBER)

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [models.UniqueConstraint(fields=["user", "organisation"], name="unique_membership")]

    def __str__(self):
        return f"{self.user} · {self.organisation}"


class FiscalYear(models.Model):
    """One fiscal year's sales and total assets, in integer KRW (the last three count)."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="fiscal_years")
    year = models.PositiveSmallIntegerField(_("fiscal year"))
    sales = models.PositiveBigIntegerField(_("sales (KRW)"))
    total_assets = models.PositiveBigIntegerField(_("total assets (KRW)"))

    class Meta:
        ordering = ["-year"]
        verbose_name = _("fiscal year")
        verbose_name_plural = _("fiscal years")
        constraints = [models.UniqueConstraint(fields=["organisation", "year"], name="unique_fiscal_year")]

    def __str__(self):
        return f"{self.organisation} {self.year}"

    def clean(self):
        # Sales of a year that has not happened yet would make up a size class.
        if self.year is not None and self.year > timezone.localdate().year:
            raise ValidationError({"year": _("A fiscal year cannot be in the future.")})


class Sanction(models.Model):
    """A participation restriction (e.g. after misuse of subsidy): read by eligibility."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="sanctions", verbose_name=_("organisation")
    )
    starts_on = models.DateField(_("from"))
    ends_on = models.DateField(_("until"))
    reason = models.TextField(_("reason"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True
    )
    created_at = models.DateTimeField(_("recorded"), auto_now_add=True)

    class Meta:
        ordering = ["-starts_on"]
        verbose_name = _("sanction")
        verbose_name_plural = _("sanctions")

    def __str__(self):
        return f"{self.organisation} {self.starts_on}–{self.ends_on}"
