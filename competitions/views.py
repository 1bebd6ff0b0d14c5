from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .models import Call
from .results_page import latest_notice, public_fields

CALLS_PER_PAGE = 20

# The public list's tabs: key -> (label, queryset method on Call.objects).
LIST_TABS = {
    "current": (_("Open and upcoming"), "current"),
    "past": (_("Past calls"), "past"),
}


def call_list(request):
    """Open and upcoming calls (default tab) or past calls, paginated, in a constant number of queries."""
    tab = request.GET.get("tab", "current")
    if tab not in LIST_TABS:
        tab = "current"
    now = timezone.now()
    calls = getattr(Call.objects, LIST_TABS[tab][1])(now).select_related("programme")
    page = Paginator(calls, CALLS_PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "competitions/call_list.html",
        {
            "tabs": [(key, label) for key, (label, _method) in LIST_TABS.items()],
            "tab": tab,
            "page": page,
            "now": now,
        },
    )


def call_detail(request, slug):
    call = get_object_or_404(Call.objects.public().select_related("programme", "previous_stage"), slug=slug)
    tracks = list(call.tracks.all())
    fields = list(call.service_fields.all())
    field_places = call.field_places(fields)
    notice = latest_notice(call)
    return render(
        request,
        "competitions/call_detail.html",
        {
            "call": call,
            "tracks": tracks,
            "fields": fields,
            "field_places": field_places,
            "fields_compete": field_places > call.max_awards,
            "reception": call.reception_status(),
            "receiving": call.is_receiving(),
            "notice": notice,
            "results": public_fields(notice, fields) if notice else [],
        },
    )
