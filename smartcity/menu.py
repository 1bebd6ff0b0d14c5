"""The menu board's rules: what the board shows, how a package's estimated cost is reckoned, and
the one function per change to a package (each checks, saves and logs who, when and why).

A package is composed by a local government's people while it is a draft; it is attached to one
of that local government's draft applications; while that application is still a draft its lines
may be corrected, each change superseding the line it changes (never an edit or a deletion), and
once the application is submitted the package is what the application said.
"""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from competitions.lifecycle import TransitionRefused
from competitions.models import SmartServiceArea
from projects.models import Application, ApplicationState, Organisation, OrganisationKind

from .links import certified_services_for
from .models import Package, PackageEvent, PackageEventKind, PackageLine, PackageState, UnitCost

MAX_QUANTITY = 10_000_000  # above the water taps of Korea's largest city (about 2.2 million)
MAX_MONTHS = 120  # ten years of operation


# --- The board --------------------------------------------------------------------------


def menu_board():
    """The eight areas with their services, each service with its unit costs (``costs``) and the
    certified services that deliver it (``certified``), and the unit costs that price no menu
    service (``other_costs``). Three queries whatever the size of the menu (four once the
    certified services are wired in, smartcity.links)."""
    areas = list(SmartServiceArea.objects.prefetch_related("services"))
    costs = list(UnitCost.objects.all())
    by_service = {}
    for cost in costs:
        by_service.setdefault(cost.menu_item_id, []).append(cost)
    services = [service for area in areas for service in area.services.all()]
    certified = certified_services_for(services)
    for service in services:
        service.costs = by_service.get(service.pk, [])
        service.certified = certified.get(service.pk, [])
    return {"areas": areas, "other_costs": by_service.get(None, []), "cost_count": len(costs)}


# --- Who composes --------------------------------------------------------------------------


def local_governments_of(user):
    """The local governments ``user`` is a member of: the organisations that compose packages."""
    if not user.is_authenticated:
        return Organisation.objects.none()
    return Organisation.objects.filter(memberships__user=user, kind=OrganisationKind.LOCAL_GOVERNMENT)


def attachable_applications(package):
    """The applications ``package`` may be attached to: its local government's drafts that hold
    no package yet."""
    return Application.objects.filter(
        lead=package.organisation_id, state=ApplicationState.DRAFT, service_packages__isnull=True
    ).select_related("call")


def editable(package):
    """Whether the package's lines may change: a draft, or attached to an application that is
    still a draft (then each change is a correction with a reason)."""
    if package.state == PackageState.DRAFT:
        return True
    return package.application is not None and package.application.state == ApplicationState.DRAFT


def _refuse_unless_editable(package):
    if not editable(package):
        raise TransitionRefused(
            [
                _(
                    "The application this package is attached to has been submitted: the package can no longer change."
                )
            ]
        )


def _log(package, kind, by, line=None, reason=""):
    if hasattr(package, "total"):
        del package.total  # an annotation read before this change
    return PackageEvent.objects.create(
        package=package, kind=kind, line=line, total_after=package.estimated_cost, reason=reason, by=by
    )


# --- Changes ------------------------------------------------------------------------------


def create_package(organisation, name, by):
    if organisation.kind != OrganisationKind.LOCAL_GOVERNMENT:
        raise ValidationError({"organisation": _("Only a local government composes a service package.")})
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": _("Give the package a name.")})
    with transaction.atomic():
        package = Package.objects.create(organisation=organisation, name=name, created_by=by)
        _log(package, PackageEventKind.CREATED, by)
    return package


def clean_quantities(item, quantity, months):
    """Quantity (and months, for an item priced per month) as whole numbers in range, or a
    ValidationError naming the field."""
    errors = {}
    if quantity is None or not 1 <= quantity <= MAX_QUANTITY:
        errors["quantity"] = _("The quantity must be a whole number from 1 to %(most)s.") % {
            "most": f"{MAX_QUANTITY:,}"
        }
    if item.per_month:
        if months is None or not 1 <= months <= MAX_MONTHS:
            errors["months"] = _(
                "This item is priced per month: give the number of months, from 1 to %(most)s."
            ) % {"most": MAX_MONTHS}
    elif months not in (None, 1):
        errors["months"] = _("This item is not priced per month: leave the months empty.")
    if errors:
        raise ValidationError(errors)
    return quantity, (months if item.per_month else 1)


def _new_line(package, item, quantity, months, by):
    quantity, months = clean_quantities(item, quantity, months)
    return PackageLine.objects.create(
        package=package,
        item=item,
        quantity=quantity,
        months=months,
        unit_cost=item.unit_cost,
        amount=PackageLine.cost_of(item.unit_cost, quantity, months),
        created_by=by,
    )


def _reason_for(package, reason):
    """Corrections to an attached package say why; a draft's changes need not."""
    reason = (reason or "").strip()
    if package.state == PackageState.ATTACHED and not reason:
        raise ValidationError({"reason": _("The package is attached to an application: say why it changes.")})
    return reason


def _locked(package):
    """The package locked for this change, its application with it (changes are serialized)."""
    return Package.objects.select_for_update(of=("self",)).select_related("application").get(pk=package.pk)


def add_line(package, item, quantity, months, by, reason=""):
    with transaction.atomic():
        package = _locked(package)
        _refuse_unless_editable(package)
        reason = _reason_for(package, reason)
        line = _new_line(package, item, quantity, months, by)
        _log(package, PackageEventKind.LINE_ADDED, by, line=line, reason=reason)
    return line


def _supersede(line, by, reason, replaced_by=None):
    line.superseded_at = timezone.now()
    line.superseded_by = by
    line.reason = reason
    line.replaced_by = replaced_by
    line.save(update_fields=["superseded_at", "superseded_by", "reason", "replaced_by"])


def _current_line(package, line):
    current = package.lines.select_for_update().filter(pk=line.pk, superseded_at__isnull=True).first()
    if current is None:
        raise TransitionRefused([_("This item has already been changed or removed: reload the package.")])
    return current


def change_line(line, quantity, months, by, reason=""):
    """A new line with the new quantities replaces ``line``, which stays on record."""
    with transaction.atomic():
        package = _locked(line.package)
        _refuse_unless_editable(package)
        reason = _reason_for(package, reason)
        line = _current_line(package, line)
        replacement = _new_line(package, line.item, quantity, months, by)
        _supersede(line, by, reason, replaced_by=replacement)
        _log(package, PackageEventKind.LINE_CHANGED, by, line=replacement, reason=reason)
    return replacement


def remove_line(line, by, reason=""):
    with transaction.atomic():
        package = _locked(line.package)
        _refuse_unless_editable(package)
        reason = _reason_for(package, reason)
        line = _current_line(package, line)
        _supersede(line, by, reason)
        _log(package, PackageEventKind.LINE_REMOVED, by, line=line, reason=reason)
    return line


def attach(package, application, by):
    """Attach the draft package to one of its local government's draft applications."""
    with transaction.atomic():
        package = _locked(package)
        application = Application.objects.select_for_update().get(pk=application.pk)
        reasons = []
        if package.state != PackageState.DRAFT:
            reasons.append(_("This package is already attached to an application."))
        if application.lead_id != package.organisation_id:
            reasons.append(_("A package is attached only to an application its own local government leads."))
        if application.state != ApplicationState.DRAFT:
            reasons.append(_("A package is attached only to an application that is still a draft."))
        if Package.objects.filter(application=application).exists():
            reasons.append(_("That application already has a service package."))
        if not package.current_lines().exists():
            reasons.append(_("Add at least one item before attaching the package."))
        if reasons:
            raise TransitionRefused(reasons)
        package.application = application
        package.state = PackageState.ATTACHED
        package.attached_at = timezone.now()
        package.attached_by = by
        package.save(update_fields=["application", "state", "attached_at", "attached_by"])
        _log(package, PackageEventKind.ATTACHED, by)
    return package


def attached_package(application):
    """The package attached to ``application`` with its current lines, or None."""
    package = (
        Package.objects.filter(application=application).with_totals().select_related("organisation").first()
    )
    if package is not None:
        package.current = list(package.current_lines().select_related("item"))
    return package
