"""Reference taxonomies from the source documents, loaded by migration 0002 from data/*.csv."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from .localized import LocalizedName, pick_language


class TechnologyField(LocalizedName):
    code = models.PositiveSmallIntegerField(_("code"), unique=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("technology field")
        verbose_name_plural = _("technology fields")


class ServiceType(LocalizedName):
    code = models.PositiveSmallIntegerField(_("code"), unique=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("service type")
        verbose_name_plural = _("service types")


class Region(LocalizedName):
    slug = models.SlugField(_("slug"), unique=True)
    capital_area = models.BooleanField(
        _("in the capital region"),
        default=False,
        help_text=_("Seoul, Gyeonggi-do and Incheon: used by regional bonus rules."),
    )
    technologies_2021 = models.PositiveIntegerField(_("smart-city technologies (2021)"), default=0)
    companies_2021 = models.PositiveIntegerField(_("smart-city companies (2021)"), default=0)

    class Meta:
        ordering = ["id"]
        verbose_name = _("region")
        verbose_name_plural = _("regions")


class GovernmentLevel(models.TextChoices):
    """The two tiers of Korean local government (지방자치단체): a metropolitan one (광역: 특별시,
    광역시, 특별자치시, 도, 특별자치도; one per Region) and a basic one (기초: 시, 군, 자치구;
    a District)."""

    METROPOLITAN = "metropolitan", _("Metropolitan local government (광역)")
    BASIC = "basic", _("Basic local government (기초)")


class DistrictLevel(models.TextChoices):
    CITY = "si", _("City (시)")
    COUNTY = "gun", _("County (군)")
    DISTRICT = "gu", _("Autonomous district (구)")


class District(LocalizedName):
    """A city, county or autonomous district (시·군·구) inside a Region: a basic local
    government, and where a test bed is sited."""

    region = models.ForeignKey(
        Region, on_delete=models.PROTECT, related_name="districts", verbose_name=_("region")
    )
    level = models.CharField(_("level"), max_length=3, choices=DistrictLevel.choices)

    class Meta:
        ordering = ["region_id", "name"]
        verbose_name = _("city, county or district")
        verbose_name_plural = _("cities, counties and districts")
        constraints = [models.UniqueConstraint(fields=["region", "name"], name="unique_district_in_region")]

    def __str__(self):
        return f"{self.region.display_name} {self.display_name}"


class SizeClass(LocalizedName):
    code = models.SlugField(_("code"), unique=True)
    definition = models.TextField(_("definition"), blank=True)
    companies_2021 = models.PositiveIntegerField(_("of 300 smart-city companies (2021)"), default=0)

    class Meta:
        ordering = ["id"]
        verbose_name = _("company size class")
        verbose_name_plural = _("company size classes")


class SmartServiceArea(LocalizedName):
    class Meta:
        ordering = ["id"]
        verbose_name = _("smart-services area")
        verbose_name_plural = _("smart-services areas")
        constraints = [models.UniqueConstraint(fields=["name"], name="unique_smart_service_area")]


class SmartService(LocalizedName):
    area = models.ForeignKey(
        SmartServiceArea, on_delete=models.PROTECT, related_name="services", verbose_name=_("area")
    )

    class Meta:
        ordering = ["area_id", "id"]
        verbose_name = _("smart service")
        verbose_name_plural = _("smart-services menu")
        constraints = [models.UniqueConstraint(fields=["area", "name"], name="unique_smart_service_in_area")]

    def __str__(self):
        return f"{self.area} · {pick_language(self.name, self.name_ko)}"
