"""The certified-services catalogue: what the public may search (services whose certificate
was not revoked), each with its current certificate, in a constant number of queries; and
the same rows for the CSV and XLSX exports."""

from dataclasses import dataclass

from django.db.models import OuterRef, Prefetch, Q, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from competitions.models import Region, TechnologyField
from config.safe_cells import safe_text

from .models import Certificate, CertificateState, CertifiedService
from .spreadsheets import csv_bytes, xlsx_bytes

STATUS_LABELS = {
    "valid": gettext_lazy("Valid"),
    "suspended": gettext_lazy("Suspended"),
    "expired": gettext_lazy("Expired"),
}


@dataclass
class Filters:
    q: str = ""
    area: object = None
    technology_field: object = None
    service_type: object = None
    region: object = None
    company: str = ""
    valid_only: bool = False


def _current(field):
    """The newest certificate of the service that was not revoked: its ``field``."""
    return Subquery(
        Certificate.objects.filter(certified_service=OuterRef("pk"))
        .exclude(state=CertificateState.REVOKED)
        .order_by("-issued_at", "-pk")
        .values(field)[:1]
    )


def search(filters, today=None):
    """The listed services matching ``filters``, each annotated with its current certificate's
    number, state and validity (``status`` is set by ``with_status``)."""
    today = today or timezone.localdate()
    services = (
        CertifiedService.objects.currently_certified(today)
        if filters.valid_only
        else CertifiedService.objects.listed()
    )
    if filters.q:
        services = services.filter(
            Q(name__icontains=filters.q)
            | Q(name_en__icontains=filters.q)
            | Q(description__icontains=filters.q)
            | Q(description_en__icontains=filters.q)
        )
    if filters.area is not None:
        services = services.filter(menu_item__area=filters.area)
    if filters.service_type is not None:
        services = services.filter(service_type=filters.service_type)
    if filters.company:
        services = services.filter(organisation__name__icontains=filters.company)
    # M2M filters through a subquery, so that a service is listed once.
    if filters.technology_field is not None:
        services = services.filter(
            pk__in=CertifiedService.technology_fields.through.objects.filter(
                technologyfield=filters.technology_field
            ).values("certifiedservice")
        )
    if filters.region is not None:
        services = services.filter(
            pk__in=CertifiedService.regions.through.objects.filter(region=filters.region).values(
                "certifiedservice"
            )
        )
    return (
        services.select_related("menu_item__area", "organisation", "service_type")
        .prefetch_related(
            Prefetch("technology_fields", queryset=TechnologyField.objects.order_by("code")),
            Prefetch("regions", queryset=Region.objects.order_by("id")),
        )
        .annotate(
            certificate_number=_current("number"),
            certificate_state=_current("state"),
            certificate_valid_from=_current("valid_from"),
            certificate_valid_until=_current("valid_until"),
        )
        .order_by("name", "pk")
    )


def status_of(service, today=None):
    """valid, suspended or expired: what the catalogue marks a service with."""
    today = today or timezone.localdate()
    if service.certificate_state == CertificateState.SUSPENDED:
        return "suspended"
    if service.certificate_valid_until is None or service.certificate_valid_until < today:
        return "expired"
    return "valid"


def with_status(services, today=None):
    for service in services:
        service.status = status_of(service, today)
        service.status_label = STATUS_LABELS[service.status]
    return services


# --- Exports ----------------------------------------------------------------------------------


def export_header():
    return [
        _("Service"),
        _("Company"),
        _("Area"),
        _("Service on the menu board"),
        _("Service type"),
        _("Technology fields"),
        _("Regions where deployed"),
        _("Certificate number"),
        _("Status"),
        _("Valid from"),
        _("Valid until"),
    ]


def export_rows(services, today=None):
    for service in with_status(services, today):
        yield [
            safe_text(service.display_name),
            safe_text(service.organisation.name),
            safe_text(service.menu_item.area.display_name),
            safe_text(service.menu_item.display_name),
            safe_text(service.service_type.display_name if service.service_type else ""),
            safe_text(", ".join(field.display_name for field in service.technology_fields.all())),
            safe_text(", ".join(region.display_name for region in service.regions.all())),
            service.certificate_number,
            str(service.status_label),
            service.certificate_valid_from,
            service.certificate_valid_until,
        ]


def as_csv(services, today=None):
    return csv_bytes([export_header(), *export_rows(services, today)])


def as_xlsx(services, today=None):
    return xlsx_bytes([(_("Certified services"), [export_header(), *export_rows(services, today)])])
