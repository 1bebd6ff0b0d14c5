from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from . import notices
from .lifecycle import TransitionRefused
from .models import Call, CallDocument
from .notice_forms import InquiryForm
from .refusals import add_to_form, show_refusal
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


def _public_call(slug):
    return get_object_or_404(
        Call.objects.public().select_related("programme", "previous_stage", "contact"), slug=slug
    )


def call_detail(request, slug, question_form=None):
    """The call's notice page, in a constant number of queries whatever it holds."""
    call = _public_call(slug)
    tracks = list(call.tracks.all())
    fields = list(call.service_fields.all())
    field_places = call.field_places(fields)
    results_notice = latest_notice(call)
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
            "contact": getattr(call, "contact", None),
            "notice_page": notices.notice_page(call, request.user),
            "question_form": question_form or InquiryForm(),
            "results_notice": results_notice,
            "results": public_fields(results_notice, fields) if results_notice else [],
        },
    )


@login_required
@require_POST
def ask_question(request, slug):
    """A signed-in applicant's question; refused input is shown again with what was typed."""
    call = _public_call(slug)
    form = InquiryForm(request.POST)
    if form.is_valid():
        try:
            notices.ask_question(call, text=form.cleaned_data["text"], by=request.user)
        except ValidationError as exc:
            add_to_form(form, exc)
        except (TransitionRefused, PermissionDenied) as exc:
            show_refusal(request, exc)
        else:
            messages.success(
                request, gettext("Your question was sent. You will be told by e-mail when it is answered.")
            )
            return redirect(f"{call_url(call)}#questions")
    response = call_detail(request, slug, question_form=form)
    response.status_code = 400
    return response


def call_url(call):
    return reverse("competitions:call_detail", args=[call.slug])


def document_download(request, slug, pk):
    """A call's current document, for anyone who may see the call (staff also its earlier ones)."""
    call = _public_call(slug) if not request.user.has_perm("competitions.manage_notice_page") else None
    documents = CallDocument.objects.filter(call__slug=slug)
    if call is not None:
        documents = documents.current().filter(call=call)
    document = get_object_or_404(documents, pk=pk)
    try:
        handle = document.file.open("rb")
    except FileNotFoundError as exc:
        raise Http404 from exc
    return FileResponse(handle, as_attachment=True, filename=document.original_name)
