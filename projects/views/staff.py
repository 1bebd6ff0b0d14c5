"""Ministry staff: the eligibility queue (filters, automatic rule results, one-by-one and bulk
decisions) in a constant number of queries, and the staff view of one application."""

import re

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Exists, OuterRef
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.roles import Role, has_role
from competitions.eligibility import SIZE_CLASS_LABELS, failures
from competitions.lifecycle import TransitionRefused
from competitions.models import Call, ServiceField, Track
from competitions.refusals import show_refusal

from .. import corrections, workflow
from ..answers import answer_sections
from ..duplicates import findings_of, open_findings, with_open_findings
from ..eligibility_check import (
    check_many,
    eligibility_page,
    lead_share_percent,
    with_call_data,
    with_eligibility_data,
)
from ..forms import CorrectionRequestForm, DecisionForm
from ..indicators import proposed_table
from ..models import Application, ApplicationState
from .applications import application_history

QUEUE_PAGE_SIZE = 50
SLUG = re.compile(r"[-a-zA-Z0-9_]{1,100}")  # what the URLs take as a call's address
ROW_ID = re.compile(r"[0-9]{1,18}")  # an id the database can hold ("²" or 20 digits are none)


def staff_only(view):
    def wrapped(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect(f"{_login_url()}?next={request.path}")
        if not has_role(request.user, Role.STAFF):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    wrapped.__name__ = view.__name__
    wrapped.__doc__ = view.__doc__
    return wrapped


def _login_url():
    from django.urls import reverse

    return reverse("accounts:login")


def queue_filters(params):
    """The queue's filters from the query string: {name: value}, only the valid ones."""
    filters = {"state": params.get("state", ApplicationState.SUBMITTED)}
    if filters["state"] not in ApplicationState.values and filters["state"] != "all":
        filters["state"] = ApplicationState.SUBMITTED
    if params.get("findings") == "open":
        filters["findings"] = "open"
    for name in ("call", "track", "field", "size_class"):
        value = params.get(name, "")
        if value:
            filters[name] = value
    if not SLUG.fullmatch(filters.get("call", "x")):
        filters.pop("call")  # no call has this address; the page says so
    return filters


def filtered_applications(filters):
    queryset = Application.objects.exclude(state=ApplicationState.DRAFT)
    if filters["state"] != "all":
        queryset = queryset.filter(state=filters["state"])
    if "call" in filters:
        queryset = queryset.filter(call__slug=filters["call"])
    if "track" in filters and ROW_ID.fullmatch(filters["track"]):
        queryset = queryset.filter(track_id=int(filters["track"]))
    if "field" in filters and ROW_ID.fullmatch(filters["field"]):
        queryset = queryset.filter(service_field_id=int(filters["field"]))
    if "size_class" in filters:
        queryset = queryset.filter(lead__size_class=filters["size_class"])
    if "findings" in filters:
        queryset = queryset.filter(Exists(open_findings(OuterRef("pk"))))
    return queryset.order_by("call_id", "submitted_at", "pk")


@staff_only
def eligibility_queue(request):
    filters = queue_filters(request.GET)
    if request.GET.get("call") and "call" not in filters:
        messages.error(request, _("No call has this address; every call is shown."))
    # Each read once for the filters, and shared by the page's rows (one instance a call, a
    # track, a field; not one a row): the calls whole, as the rules read them.
    calls = list(with_call_data(Call.objects.public()))
    slug = filters.get("call")
    tracks = list(Track.objects.filter(call__slug=slug)) if slug else None
    fields = list(ServiceField.objects.filter(call__slug=slug)) if slug else None
    page = Paginator(with_open_findings(filtered_applications(filters)), QUEUE_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    applications = eligibility_page(page.object_list, calls, tracks, fields)
    results = check_many(applications)
    rows = [(a, results[a.pk], failures(results[a.pk])) for a in applications]
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "projects/staff/queue.html",
        {
            "rows": rows,
            "page": page,
            "filters": filters,
            "calls": calls,
            "tracks": tracks or [],
            "fields": fields or [],
            "states": ApplicationState.choices,
            # The size classes organisations are computed into, named as the rule book names them.
            "size_classes": list(SIZE_CLASS_LABELS.items()),
            "query_prefix": (query.urlencode() + "&") if query else "",
            "decision_form": DecisionForm(),
        },
    )


def _back_to_queue(request):
    """The queue page the form came from; a tampered ``next`` pointing off the site is ignored."""
    target = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(target)
    return redirect("projects:eligibility_queue")


@staff_only
@require_POST
def eligibility_bulk(request):
    ids = [int(pk) for pk in request.POST.getlist("applications") if pk.isdigit()]
    action = request.POST.get("action")
    if action not in {"confirm", "reject"} or not ids:
        messages.error(request, _("Choose applications and an action."))
        return _back_to_queue(request)
    applications = Application.objects.filter(pk__in=ids).order_by("pk")
    decided, refused = workflow.decide_many(
        applications, by=request.user, eligible=action == "confirm", reason=request.POST.get("reason", "")
    )
    if decided:
        messages.success(request, _("%(count)d application(s) decided.") % {"count": len(decided)})
    for application, reasons in refused:
        messages.error(request, f"{application.reference or application.pk}: {' '.join(reasons)}")
    return _back_to_queue(request)


@staff_only
def staff_application(request, pk):
    corrections.return_if_overdue(get_object_or_404(Application.objects.only("pk", "state"), pk=pk))
    application = get_object_or_404(with_eligibility_data(Application.objects.all()), pk=pk)
    results = check_many([application])[application.pk]
    form = DecisionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        eligible = request.POST.get("action") == "confirm"
        try:
            workflow.decide_eligibility(
                application, by=request.user, eligible=eligible, reason=form.cleaned_data["reason"]
            )
        except TransitionRefused as exc:
            show_refusal(request, exc)
        else:
            messages.success(request, _("Decision recorded."))
            return redirect("projects:staff_application", pk=pk)
    return render(
        request,
        "projects/staff/application.html",
        {
            "application": application,
            "results": results,
            "failing": failures(results),
            "form": form,
            "history": application_history(application, request.user),
            "documents": [d for d in application.documents.all() if not d.superseded],
            "members": list(application.consortium_members.live()),
            "lead_share": lead_share_percent(application.consortium_members.live()),
            "funding_plan": application.funding_sources(),
            "answer_sections": answer_sections(application),
            "indicator_table": proposed_table(application),
            "corrections": corrections.history_of(application),
            "duplicate_findings": findings_of(application),
            "correction_form": CorrectionRequestForm(parts=corrections.correctable_parts(application))
            if application.state == ApplicationState.SUBMITTED
            else None,
        },
    )


@staff_only
def correction_request(request, pk):
    """Staff ask for a correction: exactly which parts, a message and a deadline (Korea time)."""
    application = get_object_or_404(Application.objects.select_related("call", "lead"), pk=pk)
    form = CorrectionRequestForm(request.POST or None, parts=corrections.correctable_parts(application))
    if request.method == "POST" and form.is_valid():
        try:
            corrections.request_correction(
                application,
                by=request.user,
                parts=form.cleaned_data["parts"],
                message=form.cleaned_data["message"],
                deadline=form.cleaned_data.get("deadline"),
            )
        except TransitionRefused as exc:
            show_refusal(request, exc)
        else:
            messages.success(request, _("Correction requested; the applicant was told by e-mail."))
            return redirect("projects:staff_application", pk=pk)
    return render(
        request, "projects/staff/correction_request.html", {"application": application, "form": form}
    )
