"""Organisations that apply (companies, universities, local governments, ...), their members,
their financials (for the size class) and sanctions against them.

A registration number identifies one organisation for ever (DESIGN.md §3): it is stored as its
ten digits, unique, every number an organisation has held is kept in RegistrationNumberRecord
(unique too, so no other organisation can take a number back), and only staff change it, with a
reason, through projects.identity. Sanctions belong to the organisation, so they follow it
through every number it has had.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from competitions.models import District, GovernmentLevel, Region
from projects.registration_number import (
    format_registration_number,
    normalise_registration_number,
    validate_registration_number,
)
from projects.size_class import CompanyFacts, Industry, classify


class OrganisationKind(models.TextChoices):
    COMPANY = "company", _("Company")
    UNIVERSITY = "university", _("University")
    LOCAL_GOVERNMENT = "local_government", _("Local government")
    PUBLIC_INSTITUTION = "public_institution", _("Public institution")
    NONPROFIT = "nonprofit", _("Non-profit organisation")


# Kinds that anyone could claim to be ("Seoul Metropolitan Government"): staff verify them before
# they may lead an application or join a consortium.
KINDS_NEEDING_VERIFICATION = (OrganisationKind.LOCAL_GOVERNMENT, OrganisationKind.PUBLIC_INSTITUTION)


def district_outside_region(district, region_id):
    """Why ``district`` cannot go with the region ``region_id`` (None when it can)."""
    if district is None or region_id is None or district.region_id == region_id:
        return None
    return _("%(district)s is not in the chosen region.") % {"district": district.display_name}


class RegistrationNumberLocked(Exception):
    """A registration number was changed outside projects.identity.change_registration_number."""


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
    government_level = models.CharField(
        _("tier of local government"),
        max_length=20,
        choices=GovernmentLevel.choices,
        blank=True,
        help_text=_("For a local government: metropolitan (특별시·광역시·도) or basic (시·군·구)."),
    )
    district = models.ForeignKey(
        District,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("city, county or district"),
        help_text=_("For a basic local government: the city, county or district it governs."),
    )
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
    verified_at = models.DateTimeField(
        _("verified by the ministry"),
        null=True,
        blank=True,
        help_text=_(
            "Local governments and public institutions lead or join applications only once verified."
        ),
    )
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    # What an organisation declares about itself, on the form and in an import; the size class
    # is computed from these and its fiscal years, never entered.
    DECLARED_FIELDS = (
        "name",
        "registration_number",
        "kind",
        "region",
        "government_level",
        "district",
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
        constraints = [
            models.CheckConstraint(
                condition=models.Q(registration_number__regex=r"^[0-9]{10}$"),
                name="registration_number_is_ten_digits",
            )
        ]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        """Stores the number as its ten digits; a new organisation's number is recorded as its
        own for ever. Changing it goes through projects.identity (staff, with a reason)."""
        self.registration_number = normalise_registration_number(self.registration_number)
        adding = self._state.adding
        stored = getattr(self, "_stored_registration_number", None)
        changed = not adding and stored is not None and stored != self.registration_number
        if changed and not getattr(self, "_number_change_allowed", False):
            raise RegistrationNumberLocked(
                "A registration number changes only through projects.identity.change_registration_number."
            )
        super().save(*args, **kwargs)
        if adding:
            RegistrationNumberRecord.objects.create(organisation=self, number=self.registration_number)
        self._stored_registration_number = self.registration_number

    @classmethod
    def from_db(cls, db, field_names, values):
        instance = super().from_db(db, field_names, values)
        instance._stored_registration_number = instance.__dict__.get("registration_number")
        return instance

    def clean(self):
        super().clean()
        self._clean_local_government()
        if self.registration_number:
            self.registration_number = normalise_registration_number(self.registration_number)
            held = RegistrationNumberRecord.objects.filter(number=self.registration_number)
            if self.pk:
                held = held.exclude(organisation_id=self.pk)
            if held.exists():
                raise ValidationError({"registration_number": number_taken_message()})

    def _clean_local_government(self):
        """A local government says its tier; a basic one names its city, county or district,
        which lies in its region; other kinds have neither."""
        errors = {}
        if self.kind == OrganisationKind.LOCAL_GOVERNMENT:
            if not self.government_level:
                errors["government_level"] = _(
                    "Say whether the local government is a metropolitan or a basic one."
                )
            elif self.government_level == GovernmentLevel.BASIC and self.district_id is None:
                errors["district"] = _(
                    "Choose the city, county or district the basic local government governs."
                )
            elif self.government_level == GovernmentLevel.METROPOLITAN and self.district_id is not None:
                errors["district"] = _(
                    "A metropolitan local government governs a whole region, not a district."
                )
        elif self.government_level or self.district_id:
            errors["government_level"] = _("Only a local government has a tier and a district.")
        if "district" not in errors:
            error = district_outside_region(self.district, self.region_id)
            if error:
                errors["district"] = error
        if errors:
            raise ValidationError(errors)

    @property
    def government_level_code(self):
        """The tier eligibility rules read: "metropolitan", "basic" or "" (not a local government)."""
        return self.government_level if self.kind == OrganisationKind.LOCAL_GOVERNMENT else ""

    @property
    def needs_verification(self):
        return self.kind in KINDS_NEEDING_VERIFICATION and self.verified_at is None

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

    def active_sanction(self, on=None, among=None):
        """The sanction in force on ``on`` (today), read from prefetched rows when there are, or
        from ``among`` (this organisation's sanctions, fetched for a whole page)."""
        today = on or timezone.localdate()
        rows = self.sanctions.all() if among is None else among
        return next((s for s in rows if s.starts_on <= today <= s.ends_on), None)


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


def number_taken_message():
    # The same words whether the number is held now or was held before: either way it is taken.
    return _("This business registration number is already registered in Gongmo.")


class RegistrationNumberRecord(models.Model):
    """Every number an organisation has held: the first at registration, each later one with the
    staff member who changed it and why. Never edited or deleted; a number appears once, so it
    identifies one organisation for ever."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="number_records", verbose_name=_("organisation")
    )
    number = models.CharField(_("business registration number"), max_length=10, unique=True)
    previous_number = models.CharField(_("previous number"), max_length=10, blank=True)
    reason = models.TextField(_("reason for the change"), blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    recorded_at = models.DateTimeField(_("recorded"), auto_now_add=True)

    class Meta:
        ordering = ["organisation", "recorded_at", "pk"]
        verbose_name = _("registration number record")
        verbose_name_plural = _("registration number records")

    def __str__(self):
        return format_registration_number(self.number)


class Sanction(models.Model):
    """A participation restriction (e.g. after misuse of subsidy): read by eligibility. It is
    recorded against the organisation (and notes the number it had then), so it applies whatever
    number the organisation has later."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="sanctions", verbose_name=_("organisation")
    )
    registration_number = models.CharField(
        _("registration number when recorded"), max_length=10, blank=True, editable=False
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

    def save(self, *args, **kwargs):
        if not self.registration_number and self.organisation_id:
            self.registration_number = self.organisation.registration_number
        super().save(*args, **kwargs)
