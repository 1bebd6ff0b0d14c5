"""The funding workbook's Indicators sheet: every awarded project's performance indicators, one
row per indicator and year (each year with a target or a reported actual), with the target, the
latest actual (projects.indicators: a correction is a new record, the latest counts) and the
name of its evidence file."""

from django.utils.translation import gettext_lazy

from config.safe_cells import safe_text
from projects.indicators import latest_actuals
from projects.models import Indicator, IndicatorTarget, Project

COLUMNS = (
    # (header, kind, width) as the workbook's Column takes them
    (gettext_lazy("Project"), "text", 15),
    (gettext_lazy("Indicator"), "text", 40),
    (gettext_lazy("Unit"), "text", 10),
    (gettext_lazy("Baseline"), "number", 12),
    (gettext_lazy("Year"), "number", 7),
    (gettext_lazy("Target"), "number", 12),
    (gettext_lazy("Actual"), "number", 12),
    (gettext_lazy("Evidence"), "text", 30),
)


def indicator_count(call_ids):
    """An estimate for the progress total: one row per indicator and target year."""
    return IndicatorTarget.objects.filter(
        indicator__removed=False,
        indicator__application__award__project__isnull=False,
        indicator__application__call_id__in=call_ids,
    ).count()


def indicator_rows(info, totals=None):
    """The rows of one call (``info.call``), by project code, in at most four queries."""
    codes = dict(
        Project.objects.filter(award__application__call=info.call).values_list(
            "award__application_id", "code"
        )
    )
    if not codes:
        return
    indicators = list(
        Indicator.objects.filter(application_id__in=list(codes), removed=False).order_by("position", "pk")
    )
    if not indicators:
        return
    ids = [indicator.pk for indicator in indicators]
    targets = {}
    for target in IndicatorTarget.objects.filter(indicator_id__in=ids):
        targets[(target.indicator_id, target.year)] = target.target
    latest = latest_actuals(ids)
    indicators.sort(key=lambda indicator: (codes[indicator.application_id], indicator.position, indicator.pk))
    for indicator in indicators:
        years = sorted(
            {y for (i, y) in targets if i == indicator.pk} | {y for (i, y) in latest if i == indicator.pk}
        )
        for year in years:
            target = targets.get((indicator.pk, year))
            actual = latest.get((indicator.pk, year))
            yield [
                safe_text(codes[indicator.application_id]),
                safe_text(indicator.display_name),
                safe_text(indicator.unit),
                float(indicator.baseline),
                year,
                float(target) if target is not None else None,
                float(actual.value) if actual else None,
                safe_text(actual.original_name) if actual else None,
            ]
