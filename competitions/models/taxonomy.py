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
