"""The smart services menu board: application unit costs of the menu's services, and the
packages a local government composes from them (services × quantities, with the estimated cost).

Money is integer won. A package line is never deleted: a change or a removal supersedes it
(who, when, why), so what a package said when it was attached to an application stays on record.
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q, Sum
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from competitions.models.localized import LocalizedName, pick_language


class UnitCost(LocalizedName):
    """One application unit cost from the menu board's cost table (smartcity/data/unit_costs.csv),
    linked to the menu service it prices; an item that prices no menu service has no link and is
    still shown on the board."""

    menu_item = models.ForeignKey(
        "competitions.SmartService",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="unit_costs",
        verbose_name=_("menu service"),
    )
    unit_cost = models.PositiveBigIntegerField(_("unit cost (KRW)"))
    unit = models.CharField(_("unit (English)"), max_length=100)
    unit_ko = models.CharField(_("unit (Korean)"), max_length=100, blank=True)
    per_month = models.BooleanField(
        _("priced per month"),
        default=False,
        help_text=_("A cost per month is multiplied by the number of months as well."),
    )
    note = models.CharField(_("note (English)"), max_length=300, blank=True)
    note_ko = models.CharField(_("note (Korean)"), max_length=300, blank=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["position", "pk"]
        verbose_name = _("application unit cost")
        verbose_name_plural = _("application unit costs")
        constraints = [models.UniqueConstraint(fields=["name"], name="unique_unit_cost_item")]

    @property
    def display_unit(self):
        return pick_language(self.unit, self.unit_ko)

    @property
    def display_note(self):
        return pick_language(self.note, self.note_ko)


class PackageState(models.TextChoices):
    DRAFT = "draft", _("Draft")
    ATTACHED = "attached", _("Attached to an application")


class PackageQuerySet(models.QuerySet):
    def with_totals(self):
        """Each package's estimated cost (``total``, won) from its current lines, in the query."""
        return self.annotate(
            total=Coalesce(Sum("lines__amount", filter=Q(lines__superseded_at__isnull=True)), 0)
        )

    def visible_to(self, user):
        """The packages ``user`` may read: their own organisations' (staff read them all)."""
        from accounts.roles import Role, has_role

        if has_role(user, Role.STAFF):
            return self
        if not user.is_authenticated:
            return self.none()
        return self.filter(organisation__memberships__user=user)


class Package(models.Model):
    """A local government's chosen set of menu services × quantities, with its estimated cost;
    attached to at most one of its applications, and an application holds at most one."""

    organisation = models.ForeignKey(
        "projects.Organisation",
        on_delete=models.PROTECT,
        related_name="service_packages",
        verbose_name=_("local government"),
    )
    name = models.CharField(_("package name"), max_length=200)
    state = models.CharField(
        _("state"), max_length=20, choices=PackageState.choices, default=PackageState.DRAFT
    )
    application = models.ForeignKey(
        "projects.Application",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="service_packages",
        verbose_name=_("application"),
    )
    attached_at = models.DateTimeField(_("attached at"), null=True, blank=True)
    attached_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("attached by"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("created by")
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    objects = PackageQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("service package")
        verbose_name_plural = _("service packages")
        constraints = [
            models.UniqueConstraint(
                fields=["application"],
                condition=Q(application__isnull=False),
                name="one_service_package_per_application",
            ),
            models.CheckConstraint(
                condition=Q(state="draft", application__isnull=True)
                | Q(state="attached", application__isnull=False),
                name="service_package_attached_with_application",
            ),
        ]

    def __str__(self):
        return self.name

    def current_lines(self):
        return self.lines.filter(superseded_at__isnull=True)

    @property
    def estimated_cost(self):
        """The sum of the current lines (the annotated ``total`` when the query computed it)."""
        total = getattr(self, "total", None)
        if total is None:
            total = self.current_lines().aggregate(total=Coalesce(Sum("amount"), 0))["total"]
        return total


class PackageLine(models.Model):
    """One menu item of a package: its unit cost as it was when chosen × quantity (× months for an
    item priced per month). Changed or removed by superseding, never edited or deleted."""

    package = models.ForeignKey(
        Package, on_delete=models.PROTECT, related_name="lines", verbose_name=_("package")
    )
    item = models.ForeignKey(UnitCost, on_delete=models.PROTECT, related_name="+", verbose_name=_("item"))
    quantity = models.PositiveIntegerField(_("quantity"))
    months = models.PositiveSmallIntegerField(_("months"), default=1)
    unit_cost = models.PositiveBigIntegerField(_("unit cost (KRW)"))
    amount = models.PositiveBigIntegerField(_("estimated cost (KRW)"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("created by")
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    superseded_at = models.DateTimeField(_("superseded at"), null=True, blank=True)
    superseded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("superseded by"),
    )
    replaced_by = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("corrected by the line"),
    )
    reason = models.TextField(_("reason for the change"), blank=True)

    class Meta:
        ordering = ["package", "pk"]
        verbose_name = _("package line")
        verbose_name_plural = _("package lines")
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gte=1), name="package_line_quantity_positive"),
            models.CheckConstraint(condition=Q(months__gte=1), name="package_line_months_positive"),
            # The estimate is the product, whatever path wrote the row.
            models.CheckConstraint(
                condition=Q(amount=F("unit_cost") * F("quantity") * F("months")),
                name="package_line_amount_is_the_product",
            ),
        ]

    def __str__(self):
        return f"{self.item} × {self.quantity}"

    @staticmethod
    def cost_of(unit_cost, quantity, months=1):
        """The estimated cost of a line, in won: unit cost × quantity × months."""
        return int(unit_cost) * int(quantity) * int(months)


class PackageEventKind(models.TextChoices):
    CREATED = "created", _("Package created")
    LINE_ADDED = "line_added", _("Item added")
    LINE_CHANGED = "line_changed", _("Item changed")
    LINE_REMOVED = "line_removed", _("Item removed")
    ATTACHED = "attached", _("Attached to an application")


class PackageEvent(models.Model):
    """The package's history: every change to it and to its money, with who, when and why."""

    package = models.ForeignKey(
        Package, on_delete=models.PROTECT, related_name="events", verbose_name=_("package")
    )
    kind = models.CharField(_("kind"), max_length=20, choices=PackageEventKind.choices)
    line = models.ForeignKey(
        PackageLine, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("line")
    )
    total_after = models.PositiveBigIntegerField(_("estimated cost after (KRW)"))
    reason = models.TextField(_("reason"), blank=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("by")
    )
    at = models.DateTimeField(_("when"), auto_now_add=True)

    class Meta:
        ordering = ["at", "pk"]
        verbose_name = _("package event")
        verbose_name_plural = _("package events")

    def __str__(self):
        return f"{self.package} · {self.get_kind_display()}"
