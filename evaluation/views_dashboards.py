"""Dashboards: the staff's (every call at a glance, /staff/; one call, /staff/calls/<slug>/) and
the reviewer's (/review/). Thin: evaluation.dashboard adds up, evaluation.charts draws."""

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext as _

from competitions.models import Call
from projects.views.staff import staff_only

from . import reviewing, scheduling
from .charts import money_chart, places_chart, score_chart, status_chart
from .dashboard import call_dashboard, call_summaries, reviewer_dashboard, stage_dashboard


@staff_only
def staff_home(request):
    summaries = call_summaries()
    with_money = [s for s in summaries if s.money.awarded or s.money.paid]
    return render(
        request,
        "evaluation/staff_home.html",
        {
            "summaries": summaries,
            "money_chart": money_chart(
                [(s.call.display_title, s.money.awarded, s.money.paid, s.money.spent) for s in with_money]
            ),
        },
    )


@staff_only
def call_dashboard_view(request, slug):
    call = get_object_or_404(
        Call.objects.select_related("programme", "evaluation_plan").prefetch_related("service_fields"),
        slug=slug,
    )
    dashboard = call_dashboard(call)
    money = dashboard.money
    raw_stage = request.GET.get("stage", "")
    stages = stage_dashboard(call, int(raw_stage) if raw_stage.isdigit() and len(raw_stage) < 10 else None)
    return render(
        request,
        "evaluation/call_dashboard.html",
        {
            "call": call,
            "dashboard": dashboard,
            "places_chart": places_chart(dashboard.places),
            "status_chart": status_chart(
                [(row.name or "—", row.cells) for row in dashboard.fields if row.total],
                [label for _state, label in dashboard.columns],
            ),
            "score_chart": score_chart(dashboard.score_rows, dashboard.cutoff)
            if dashboard.cutoff is not None
            else "",
            "money_chart": money_chart([(call.display_title, money.awarded, money.paid, money.spent)])
            if money.awarded
            else "",
            "stages": stages,
            "stage_score_chart": score_chart(
                stages.score_rows,
                stages.cutoff,
                chart_id="stage-scores",
                title=_("Scores in %(stage)s per service field") % {"stage": stages.stage},
            )
            if stages and stages.score_rows
            else "",
        },
    )


@login_required
def my_reviews(request):
    """The reviewer's dashboard: only their own assignments (404 for anyone who is not a reviewer)."""
    reviewer = reviewing.reviewer_of(request.user)
    if reviewer is None:
        raise Http404
    return render(
        request,
        "evaluation/my_reviews.html",
        {
            "reviewer": reviewer,
            "dashboard": reviewer_dashboard(reviewer),
            "schedule": scheduling.reviewer_schedule(reviewer),
        },
    )
