"""Policy analytics pages (/smart-city/analytics/): staff and auditors read the tables and
charts and download each table. Thin: smartcity.analytics adds up, evaluation.charts draws,
smartcity.analytics_export writes the files."""

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import render
from django.utils.translation import gettext as _

from evaluation.charts import grouped_bars_chart

from . import analytics
from .analytics_export import export_response, scope_label
from .forms_analytics import ScopeForm

CHART_ROWS = 15  # a chart shows the rows with the most applicants; the table shows them all


def analytics_readers_only(view):
    def wrapped(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not request.user.has_perm("smartcity.view_analytics"):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    wrapped.__name__ = view.__name__
    wrapped.__doc__ = view.__doc__
    return wrapped


def _charts(table):
    rows = sorted(table.rows, key=lambda row: -row.applicants)[:CHART_ROWS]
    counts = grouped_bars_chart(
        [(row.label, [row.applicants, row.selected, row.projects]) for row in rows],
        [_("Applicants"), _("Selected"), _("Projects")],
        _("%(table)s: applicants, selected and projects") % {"table": table.title},
        f"{table.slug}-counts",
    )
    money = grouped_bars_chart(
        [(row.label, [row.requested, row.awarded, row.disbursed]) for row in rows],
        [_("Requested"), _("Awarded"), _("Disbursed")],
        _("%(table)s: subsidy requested, awarded and disbursed") % {"table": table.title},
        f"{table.slug}-money",
        money=True,
    )
    return counts, money


@analytics_readers_only
def analytics_page(request):
    form = ScopeForm(request.GET or None)
    scope = form.scope()
    tables = analytics.tables(scope)
    return render(
        request,
        "smartcity/analytics/page.html",
        {
            "form": form,
            "scope": scope,
            "scope_label": scope_label(scope),
            "query": request.GET.urlencode(),
            "tables": [(table, *_charts(table), len(table.rows) > CHART_ROWS) for table in tables],
            "measure_labels": [analytics.MEASURE_LABELS[m] for m in analytics.MEASURES],
        },
    )


@analytics_readers_only
def analytics_export(request, table, kind):
    dimension = analytics.DIMENSIONS_BY_SLUG.get(table)
    form = ScopeForm(request.GET or None)
    scope = form.scope()
    if dimension is None or dimension not in analytics.dimensions_for(scope) or kind not in ("csv", "xlsx"):
        raise Http404
    scope_name = scope.call.slug if scope.call is not None else "calls"
    return export_response(analytics.breakdown(scope, dimension), scope_name, kind)
