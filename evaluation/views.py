"""Pages of the evaluation: reviewers score their assignments; staff assign, follow progress,
remind, preview and confirm selection, and decide objections; applicants decline or object."""

from collections import Counter
from dataclasses import dataclass
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Exists, OuterRef
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from competitions.lifecycle import TransitionRefused
from competitions.models import Call
from competitions.refusals import show_refusal
from projects import answers, documents
from projects.models import Application, ApplicationState
from projects.views.staff import staff_only

from . import objections, pledges, reviewing, selection_runs
from .assigning import assign_reviewers
from .assignment import AssignmentImpossible
from .charts import places_chart
from .dashboard import (
    STATE_LABELS,
    Progress,
    progress_per_application,
    progress_per_reviewer,
    reviewers_of,
    state_counts,
)
from .models import Assignment, Criterion, Objection, Review, SelectionRun
from .models.objection import DECISION_WINDOW
from .selection import Outcome, Result, minimum_shortfall, result_outcome

RANKING_PAGE_SIZE = 50
OVERVIEW_PAGE_SIZE = 50

# --- Reviewers --------------------------------------------------------------------------------


def _reviewer_or_404(user):
    reviewer = reviewing.reviewer_of(user)
    if reviewer is None:
        raise Http404
    return reviewer


def _my_assignment(request, pk):
    reviewer = _reviewer_or_404(request.user)
    return get_object_or_404(
        Assignment.objects.select_related(
            "application__call",
            "application__track",
            "application__service_field",
            "application__lead",
            "stage",
        ),
        pk=pk,
        reviewer=reviewer,
        state=Assignment.State.ACTIVE,
    )


@dataclass(frozen=True)
class ScoreRow:
    """One criterion on the review form: what it shows (as saved, or as typed when the save was
    refused) and its error."""

    criterion: object
    points: str
    comment: str
    error: str = ""


def _saved_rows(criteria, review):
    saved = {s.criterion_id: s for s in review.scores.all()} if review else {}
    return [
        ScoreRow(
            c,
            f"{saved[c.pk].points.normalize():f}" if c.pk in saved else "",
            saved[c.pk].comment if c.pk in saved else "",
        )
        for c in criteria
    ]


def _typed_rows(criteria, entries, errors):
    """The form as the reviewer filled it in, each refused score with its reason beside it."""
    return [ScoreRow(c, entries[c][0], entries[c][1], errors.get(c.pk, "")) for c in criteria]


@login_required
def review_form(request, pk):
    assignment = _my_assignment(request, pk)
    application = assignment.application
    criteria = list(Criterion.objects.for_assignment(assignment))
    review = Review.objects.filter(assignment=assignment).prefetch_related("scores").first()
    rows, comment = _saved_rows(criteria, review), review.comment if review else ""
    if request.method == "POST" and request.POST.get("action") in BEFORE_SCORING:
        try:
            message = BEFORE_SCORING[request.POST["action"]](request, assignment)
        except TransitionRefused as exc:
            show_refusal(request, exc)
        else:
            messages.success(request, message)
            return redirect("evaluation:review_form", pk=pk)
    elif request.method == "POST":
        entries = {
            c: (request.POST.get(f"points-{c.pk}", ""), request.POST.get(f"comment-{c.pk}", ""))
            for c in criteria
        }
        submit = request.POST.get("action") == "submit"
        comment = request.POST.get("comment", "")
        try:
            reviewing.save_review(assignment, entries, by=request.user, comment=comment, submit=submit)
        except TransitionRefused as exc:
            # Forms that forgive: everything typed stays on the page, the refusal beside its score.
            show_refusal(request, exc)
            rows = _typed_rows(criteria, entries, getattr(exc, "by_criterion", {}))
        else:
            messages.success(
                request, _("Review submitted; it is now locked.") if submit else _("Draft saved.")
            )
            return redirect("evaluation:review_form", pk=pk)
    return render(
        request,
        "evaluation/review_form.html",
        {
            "assignment": assignment,
            "application": application,
            "blind": assignment.hides_applicant,
            "rows": rows,
            "comment": comment,
            "review": review,
            "locked": bool(review and review.state == Review.State.SUBMITTED)
            or application.state != "under_review",
            "documents": documents.for_reviewers(application, assignment.hides_applicant),
            "answer_sections": answers.for_reviewer(application, assignment.hides_applicant),
            "pledge_signed": pledges.has_signed(assignment.reviewer_id, application.call_id),
            "declared": pledges.has_declared(assignment),
            "pledge_text": pledges.current_text(),
            "typed_name": request.POST.get("name", "") if request.method == "POST" else "",
            # The error summary at the top of the page links to each refused score (the message
            # names its criterion already).
            "field_problems": [(row.error, f"points-{row.criterion.pk}", "") for row in rows if row.error],
        },
    )


def _sign_pledge(request, assignment):
    pledges.sign_pledge(
        assignment,
        by=request.user,
        agreed=request.POST.get("agree") == "yes",
        name=request.POST.get("name", ""),
        ip_address=request.META.get("REMOTE_ADDR") or None,
    )
    return _("Pledge signed. Thank you.")


def _declare_no_conflict(request, assignment):
    pledges.declare_no_conflict(
        assignment, by=request.user, ip_address=request.META.get("REMOTE_ADDR") or None
    )
    return _("Declared: no conflict of interest with this application.")


# What a reviewer does on the review form before the first score (evaluation.pledges).
BEFORE_SCORING = {"pledge": _sign_pledge, "no_conflict": _declare_no_conflict}


@login_required
def review_document(request, pk, document_pk):
    assignment = _my_assignment(request, pk)
    # Only what the reviewer's page lists: a withheld kind is not found, even by its address.
    document = get_object_or_404(
        documents.for_reviewers(assignment.application, assignment.hides_applicant), pk=document_pk
    )
    # In a blind call or stage the stored name may carry the applicant's name: serve a neutral one.
    name = f"{assignment.application.reference}-{document.kind}.{document.file_format}"
    return FileResponse(document.file.open("rb"), as_attachment=True, filename=name)


@login_required
@require_POST
def recuse(request, pk):
    assignment = _my_assignment(request, pk)
    try:
        replacement = reviewing.recuse(assignment, by=request.user, reason=request.POST.get("reason", ""))
    except TransitionRefused as exc:
        show_refusal(request, exc)
        return redirect("evaluation:review_form", pk=pk)
    if replacement is None:
        messages.warning(request, _("You recused yourself. The ministry will assign another reviewer."))
    else:
        messages.success(request, _("You recused yourself; another reviewer has been assigned."))
    return redirect("evaluation:my_reviews")


# --- Staff ------------------------------------------------------------------------------------


@staff_only
def evaluation_overview(request, slug):
    """Review progress of a call, 50 reviewers and 50 applications a page: a constant number of
    queries whatever the call's size (the counts are grouped queries over the page's rows)."""
    call = get_object_or_404(Call.objects.select_related("evaluation_plan"), slug=slug)
    plan = getattr(call, "evaluation_plan", None)
    state = request.GET.get("state", "")
    if state and state not in ApplicationState.values:
        messages.error(request, _("There is no such status; applications in every status are shown."))
        state = ""
    reviewer_page = Paginator(reviewers_of(call), OVERVIEW_PAGE_SIZE).get_page(request.GET.get("reviewers"))
    reviewer_progress = progress_per_reviewer(call, [r.pk for r in reviewer_page])
    applications = Application.objects.filter(
        Exists(Assignment.objects.filter(application=OuterRef("pk"))), call=call
    ).order_by("reference")
    if state:
        applications = applications.filter(state=state)
    page = Paginator(applications.only("pk", "reference", "state"), OVERVIEW_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    application_progress = progress_per_application([a.pk for a in page])
    for application in page:  # get_state_display would rebuild the state choices for each row
        application.state_label = STATE_LABELS[application.state]
    query = request.GET.copy()
    query.pop("page", None)
    reviewer_query = request.GET.copy()
    reviewer_query.pop("reviewers", None)
    return render(
        request,
        "evaluation/overview.html",
        {
            "call": call,
            "plan": plan,
            "reviewer_rows": [(r, reviewer_progress.get(r.pk, Progress())) for r in reviewer_page],
            "reviewer_page": reviewer_page,
            "rows": [(a, application_progress.get(a.pk, Progress())) for a in page],
            "page": page,
            "state": state,
            "states": state_counts(Application.objects.filter(call=call)),
            "state_choices": ApplicationState.choices,
            "query_prefix": (query.urlencode() + "&") if query else "",
            "reviewer_query_prefix": (reviewer_query.urlencode() + "&") if reviewer_query else "",
        },
    )


@staff_only
@require_POST
def assign(request, slug):
    call = get_object_or_404(Call, slug=slug)
    try:
        created = assign_reviewers(call, by=request.user, seed=int(request.POST.get("seed") or 0))
    except AssignmentImpossible as exc:
        messages.error(request, str(exc))
    except TransitionRefused as exc:
        show_refusal(request, exc)
    except Call.evaluation_plan.RelatedObjectDoesNotExist:
        messages.error(request, _("Set up the call's evaluation plan first."))
    else:
        messages.success(request, _("%(count)d assignments made.") % {"count": created})
    return redirect("evaluation:overview", slug=slug)


@staff_only
@require_POST
def close(request, slug):
    call = get_object_or_404(Call, slug=slug)
    closed = reviewing.close_review(call, by=request.user)
    messages.success(request, closed.message())
    if closed.lacking:
        messages.warning(
            request,
            _("Not scored, still under review until reviewers are added: %(reasons)s")
            % {"reasons": " ".join(closed.lacking)},
        )
    return redirect("evaluation:overview", slug=slug)


@staff_only
@require_POST
def remind(request, slug):
    """E-mail every reviewer with unsubmitted reviews in this call (through the outbox; not twice a day)."""
    call = get_object_or_404(Call, slug=slug)
    count = reviewing.remind_call_reviewers(call, by=request.user)
    messages.success(request, _("Reminders sent to %(count)d reviewer(s).") % {"count": count})
    return redirect("evaluation:overview", slug=slug)


@staff_only
def selection(request, slug):
    # Tracks and fields read once, for the preview's quotas and the page's chart.
    call = get_object_or_404(Call.objects.prefetch_related("tracks", "service_fields"), slug=slug)
    if request.method == "POST":
        try:
            if request.POST.get("action") == "confirm":
                run = selection_runs.confirm_run(
                    get_object_or_404(call.selection_runs, number=_number(request.POST.get("run"))),
                    by=request.user,
                    accepted_changes=request.POST.get("changes", ""),
                )
                messages.success(
                    request, _("Run #%(number)d confirmed; outcomes published.") % {"number": run.number}
                )
            else:
                run, _results = selection_runs.run_selection(call, by=request.user)
                messages.success(
                    request, _("Run #%(number)d recorded. Check it, then confirm.") % {"number": run.number}
                )
        except TransitionRefused as exc:
            show_refusal(request, exc)
        return redirect("evaluation:selection", slug=slug)
    kept = None
    try:
        kept = selection_runs.preview(call, by=request.user, token=request.GET.get("preview", ""))
    except TransitionRefused as exc:
        show_refusal(request, exc)
    except Call.evaluation_plan.RelatedObjectDoesNotExist:
        messages.error(request, _("Set up the call's evaluation plan first."))
    results = kept.rows if kept else []  # plain tuples: a Result's values each
    # A national call ranks 20,000 applications: the page shows 50 of them, of one outcome if
    # asked, and reads only those 50 applications.
    outcomes = Counter(map(result_outcome, results))
    outcome = request.GET.get("outcome", "")
    shown = [r for r in results if result_outcome(r) == outcome] if outcome in outcomes else results
    page = Paginator(shown, RANKING_PAGE_SIZE).get_page(request.GET.get("page"))
    page_results = list(map(Result._make, page))
    applications = Application.objects.select_related("track", "service_field").in_bulk(
        [r.application_id for r in page_results]
    )
    rows = [(r, applications[r.application_id]) for r in page_results]
    selected = [Result._make(r) for r in results if result_outcome(r) == Outcome.SELECTED]
    fields = list(call.service_fields.all())
    # The latest run, and whether any run is confirmed, in one query (no run: none is).
    latest = (
        call.selection_runs.annotate(
            any_confirmed=Exists(SelectionRun.objects.filter(call=call, confirmed_at__isnull=False))
        )
        .order_by("-number")
        .first()
    )
    changes, refusals = [], []
    if latest and not latest.confirmed_at:
        _first, changes, refusals = selection_runs.reconcile(latest, published_only=True)
    if latest and latest.any_confirmed:
        # Results are published: the places held now (the one definition), not the preview's.
        filled = Counter(
            Application.objects.filter(call=call).holding_place().values_list("service_field_id", flat=True)
        )
    else:
        filled = Counter(r.field_id for r in selected)
    return render(
        request,
        "evaluation/selection.html",
        {
            "call": call,
            "rows": rows,
            "page": page,
            "outcome": outcome if outcome in outcomes else "",
            "preview": kept,
            "query_prefix": urlencode(
                {
                    "preview": kept.token if kept else "",
                    **({"outcome": outcome} if outcome in outcomes else {}),
                }
            )
            + "&",
            "outcome_counts": [(o, outcomes[o]) for o in Outcome if outcomes[o]],
            "total_count": len(results),
            "latest": latest,
            "changes": changes,
            "changes_digest": selection_runs.changes_digest(changes),
            "refusals": refusals,
            "selected_count": filled.total(),
            "chart": places_chart([(f.display_name, filled[f.pk], f.max_awards) for f in fields])
            if fields
            else "",
            "requested_total": sum(r.requested_subsidy for r in selected),
            "shortfall": minimum_shortfall(selected, call.min_awards) if kept else None,
        },
    )


def _number(raw):
    """A run number from a form, or 0 (no run has it) when it is not a number."""
    return int(raw) if (raw or "").isdigit() and len(raw) < 10 else 0


@staff_only
def objection_list(request):
    rows = Objection.objects.select_related("application__call").order_by("state", "filed_at")
    return render(
        request,
        "evaluation/objections.html",
        {"objections": rows, "now": timezone.now(), "due": DECISION_WINDOW},
    )


@staff_only
@require_POST
def objection_decide(request, pk):
    objection = get_object_or_404(Objection, pk=pk)
    try:
        objections.decide_objection(
            objection,
            by=request.user,
            uphold=request.POST.get("action") == "uphold",
            decision=request.POST.get("decision", ""),
        )
    except TransitionRefused as exc:
        show_refusal(request, exc)
    else:
        messages.success(request, _("Decision recorded."))
    return redirect("evaluation:objections")


# --- Applicants -------------------------------------------------------------------------------


def _applicant_application(request, pk):
    application = get_object_or_404(Application, pk=pk)
    if not request.user.has_perm("projects.change_application", application):
        raise Http404
    return application


@login_required
@require_POST
def decline(request, pk):
    application = _applicant_application(request, pk)
    try:
        selection_runs.decline(application, by=request.user, reason=request.POST.get("reason", ""))
    except (TransitionRefused, PermissionDenied) as exc:
        show_refusal(request, exc)
    else:
        messages.success(request, _("You declined the award."))
    return redirect("projects:application_detail", pk=pk)


@login_required
@require_POST
def object_to_outcome(request, pk):
    application = _applicant_application(request, pk)
    try:
        objections.file_objection(application, by=request.user, grounds=request.POST.get("grounds", ""))
    except TransitionRefused as exc:
        show_refusal(request, exc)
    else:
        messages.success(request, _("Your objection was filed. The ministry decides within 30 days."))
    return redirect("projects:application_detail", pk=pk)
