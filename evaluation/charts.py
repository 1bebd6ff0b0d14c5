"""Charts rendered on the server as SVG: no JavaScript, no CDN, readable by screen readers.

Every chart is an ``<svg role="img">`` labelled by its ``<title>`` and ``<desc>`` (the desc says
in words what the bars show), every bar carries its own ``<title>`` (a tooltip), every text is
escaped, and its size does not grow with the number of applications. Pages show the same
figures in a table next to the chart for those who would rather read.
"""

from decimal import Decimal
from itertools import groupby

from django.utils.html import escape
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from competitions.formatting import format_krw, format_krw_long, korean_reading

FONT = 'font-family="Pretendard GOV, system-ui, sans-serif"'
GREY, BLUE, NAVY, GREEN, RED = "#e6e8ea", "#256ef4", "#0b3b8c", "#16856b", "#d50136"
# The light grey of a maximum's track is drawn with an outline that reaches 3:1; so is an axis.
OUTLINE = "#8a949e"


def _open(chart_id, width, height, title, desc):
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-labelledby="{chart_id}-title {chart_id}-desc" '
        f'viewBox="0 0 {width} {height}" width="100%" class="gongmo-chart" {FONT}>',
        f'<title id="{chart_id}-title">{escape(title)}</title>',
        f'<desc id="{chart_id}-desc">{escape(desc)}</desc>',
    ]


def _text(x, y, content, size=14, anchor="start", fill="#1e2124", extra=""):
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" text-anchor="{anchor}" fill="{fill}"{extra}>'
        f"{escape(content)}</text>"
    )


def short_krw(amount):
    """A bar label: the 억/만 원 reading in Korean, won with separators in English."""
    if (get_language() or "").startswith("ko"):
        return korean_reading(amount)
    return format_krw(amount)


# --- Places filled per field against its maximum ---------------------------------------------


def places_chart(rows, width=640, bar_height=28, gap=14, label_width=210, chart_id="places"):
    """Horizontal bars: places filled per field against its maximum. ``rows``: (name, filled, max)."""
    if not rows:
        return ""
    scale_max = max(max(maximum, filled) for _name, filled, maximum in rows) or 1
    usable = width - label_width - 70
    height = len(rows) * (bar_height + gap) + gap
    labels = [
        _("%(name)s: %(filled)d of %(max)d") % {"name": name, "filled": filled, "max": maximum}
        for name, filled, maximum in rows
    ]
    parts = _open(
        chart_id, width, height, _("Places filled per service field against its maximum"), "; ".join(labels)
    )
    for index, (name, filled, maximum) in enumerate(rows):
        y = gap + index * (bar_height + gap)
        max_width = usable * maximum / scale_max
        filled_width = usable * min(filled, maximum) / scale_max
        over = filled > maximum
        parts.append(f"<g><title>{escape(labels[index])}</title>")
        parts.append(_text(0, y + bar_height * 0.68, name))
        parts.append(
            f'<rect x="{label_width}" y="{y}" width="{max_width:.1f}" height="{bar_height}" fill="{GREY}" stroke="{OUTLINE}" rx="4"/>'
        )
        parts.append(
            f'<rect x="{label_width}" y="{y}" width="{filled_width:.1f}" height="{bar_height}" '
            f'fill="{RED if over else BLUE}" rx="4" class="filled"/>'
        )
        parts.append(_text(label_width + max_width + 8, y + bar_height * 0.68, f"{filled} / {maximum}"))
        parts.append("</g>")
    parts.append("</svg>")
    return "".join(parts)


# --- Applications per field, stacked by status ---------------------------------------------

# Every colour a bar or a legend swatch takes reaches 3:1 against the white page (WCAG 1.4.11,
# non-text contrast; tests/evaluation/test_charts.py measures them), neighbours differ in hue,
# and stacked segments are parted by a white line.
PALETTE = [
    "#0b3b8c",
    "#256ef4",
    "#7c4dbd",
    "#16856b",
    "#b02a77",
    "#c47a00",
    "#a0522d",
    "#d50136",
    "#8a949e",
    "#464c53",
]


def status_chart(rows, statuses, width=640, bar_height=26, gap=12, label_width=150, chart_id="statuses"):
    """One stacked bar per field: its applications by status, on one scale, with a legend.
    ``rows``: (field name, [count per status]); ``statuses``: the status labels, in order."""
    if not rows or not statuses:
        return ""
    legend_rows = (len(statuses) + 3) // 4
    legend = legend_rows * 22 + 8
    height = legend + len(rows) * (bar_height + gap) + gap
    plot = width - label_width - 50
    scale = max(sum(counts) for _name, counts in rows) or 1
    desc = "; ".join(
        f"{name}: "
        + ", ".join(f"{label} {count}" for label, count in zip(statuses, counts, strict=True) if count)
        for name, counts in rows
    )
    parts = _open(chart_id, width, height, _("Applications per service field and status"), desc)
    for index, label in enumerate(statuses):
        x, y = (index % 4) * (width / 4), (index // 4) * 22 + 6
        parts.append(
            f'<rect x="{x:.1f}" y="{y}" width="12" height="12" fill="{PALETTE[index % len(PALETTE)]}"/>'
        )
        parts.append(_text(x + 18, y + 11, label, size=12))
    for row, (name, counts) in enumerate(rows):
        y = legend + gap + row * (bar_height + gap)
        parts.append(_text(0, y + bar_height * 0.68, name))
        x = label_width
        for index, (label, count) in enumerate(zip(statuses, counts, strict=True)):
            if not count:
                continue
            length = plot * count / scale
            parts.append(
                f'<rect x="{x:.1f}" y="{y}" width="{length:.1f}" height="{bar_height}" '
                f'fill="{PALETTE[index % len(PALETTE)]}" stroke="#fff" class="segment"><title>{escape(f"{name} · {label}: {count}")}</title></rect>'
            )
            x += length
        parts.append(_text(x + 6, y + bar_height * 0.68, str(sum(counts)), size=13))
    parts.append("</svg>")
    return "".join(parts)


# --- Score distribution per field, with the cutoff --------------------------------------------


def _runs(scores):
    """(score, how many in a row): a sorted list of 16,000 scores holds a few hundred runs, and
    each run is binned and compared with the cutoff once (0.09 s a chart the other way)."""
    return [(Decimal(score), len(list(run))) for score, run in groupby(scores)]


def score_bins(scores, bin_width=5, top=100):
    """Counts of scores per bin [0, 5), [5, 10), … [95, 100]; the top score falls in the last bin."""
    count = int(top // bin_width)
    bins = [0] * count
    for score, times in _runs(scores):
        index = min(count - 1, max(0, int(score // bin_width)))
        bins[index] += times
    return bins


def score_chart(
    rows,
    cutoff,
    width=640,
    row_height=64,
    label_width=150,
    top=100,
    bin_width=5,
    chart_id="scores",
    title=None,
):
    """One histogram of evaluation scores per field (0 to ``top`` points, ``bin_width`` a bar),
    sharing one scale, with the cutoff drawn across them. ``rows``: (field name, [scores])."""
    if not rows:
        return ""
    axis = 28
    # The cutoff's label sits in a band of its own above the rows: drawn inside the first
    # row, it covered that row's tallest bars.
    header = 20
    plot = width - label_width - 20
    height = header + len(rows) * row_height + axis + 10
    binned = [(name, score_bins(scores, bin_width, top), scores) for name, scores in rows]
    cutoff_value = Decimal(cutoff)
    tallest = max((max(bins) for _name, bins, _scores in binned), default=0) or 1
    cutoff_text = _("Cutoff %(cutoff)s") % {"cutoff": cutoff}
    desc = "; ".join(
        _("%(name)s: %(count)d scores, %(above)d at or above the cutoff")
        % {
            "name": name,
            "count": len(scores),
            "above": sum(times for score, times in _runs(scores) if score >= cutoff_value),
        }
        for name, scores in rows
    )
    parts = _open(
        chart_id, width, height, title or _("Evaluation scores per service field"), f"{desc}. {cutoff_text}."
    )

    def x_of(points):
        return label_width + plot * float(points) / top

    bar_width = plot * bin_width / top
    for index, (name, bins, _scores) in enumerate(binned):
        base = header + (index + 1) * row_height
        parts.append(_text(0, base - row_height / 2 + 5, name))
        parts.append(
            f'<line x1="{label_width}" x2="{label_width + plot}" y1="{base}" y2="{base}" stroke="{OUTLINE}"/>'
        )
        for position, count in enumerate(bins):
            if not count:
                continue
            bar = (row_height - 12) * count / tallest
            low = position * bin_width
            label = _("%(name)s: %(count)d scores from %(low)d to %(high)d") % {
                "name": name,
                "count": count,
                "low": low,
                "high": low + bin_width,
            }
            parts.append(
                f'<rect x="{x_of(low) + 1:.1f}" y="{base - bar:.1f}" width="{bar_width - 2:.1f}" '
                f'height="{bar:.1f}" fill="{BLUE}" class="bin"><title>{escape(label)}</title></rect>'
            )
    for tick in range(0, top + 1, 20):
        parts.append(_text(x_of(tick), height - 8, str(tick), size=12, anchor="middle", fill="#464c53"))
    x = x_of(cutoff)
    parts.append(
        f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{header - 4}" y2="{header + len(rows) * row_height}" '
        f'stroke="{RED}" stroke-width="2" stroke-dasharray="6 4" class="cutoff"/>'
    )
    # Right of the line, unless that would run past the chart's edge (a cutoff near the top).
    right_side = x < label_width + plot * 0.7
    parts.append(
        _text(
            x + 4 if right_side else x - 4,
            14,
            cutoff_text,
            size=12,
            fill=RED,
            anchor="start" if right_side else "end",
            extra=' class="cutoff-label"',
        )
    )
    parts.append("</svg>")
    return "".join(parts)


# --- Money awarded, paid and spent per call ---------------------------------------------------


def money_chart(rows, width=640, bar_height=18, label_width=130, chart_id="money"):
    """Grouped horizontal bars per call: awarded, paid out, spent (approved spending), on one
    scale; the call's name heads its group. ``rows``: (call name, awarded, paid, spent) in won."""
    if not rows:
        return ""
    series = [(_("Awarded"), NAVY), (_("Paid"), BLUE), (_("Spent (approved)"), GREEN)]
    heading = 24
    group = heading + 3 * bar_height + 16
    height = len(rows) * group + 4
    plot = width - label_width - 190
    scale = max(max(values) for _name, *values in rows) or 1
    desc = "; ".join(
        f"{name}: "
        + ", ".join(
            f"{label} {format_krw_long(value)}"
            for (label, _colour), value in zip(series, values, strict=True)
        )
        for name, *values in rows
    )
    parts = _open(chart_id, width, height, _("Money awarded, paid and spent per call"), desc)
    for index, (name, *values) in enumerate(rows):
        top = index * group
        parts.append(_text(0, top + 17, name, size=14, extra=' font-weight="700"'))
        for position, ((label, colour), value) in enumerate(zip(series, values, strict=True)):
            y = top + heading + position * bar_height
            length = plot * value / scale
            tip = f"{name} · {label}: {format_krw_long(value)}"
            parts.append(f"<g><title>{escape(tip)}</title>")
            parts.append(_text(0, y + bar_height - 6, label, size=13, fill="#464c53"))
            parts.append(
                f'<rect x="{label_width}" y="{y}" width="{length:.1f}" height="{bar_height - 4}" '
                f'fill="{colour}" class="amount"/>'
            )
            parts.append(_text(label_width + length + 6, y + bar_height - 6, short_krw(value), size=12))
            parts.append("</g>")
    parts.append("</svg>")
    return "".join(parts)


# --- Grouped bars, one group per row of a breakdown -------------------------------------------


def grouped_bars_chart(rows, series, title, chart_id, money=False, width=640, bar_height=16, label_width=170):
    """Horizontal bars, one group per row (its label on the left), one bar per series, all on one
    scale, with a legend. ``rows``: (label, [value per series]); ``series``: the series' labels;
    ``money``: values are won (bars labelled in 억/만 원 in Korean). Used by the smart-city
    analytics (smartcity.analytics) for each of its tables."""
    if not rows or not series:
        return ""

    def shown(value):
        return short_krw(value) if money else f"{value:,}"

    legend = ((len(series) + 2) // 3) * 22 + 6
    group = len(series) * bar_height + 12
    height = legend + len(rows) * group + 4
    plot = width - label_width - 110
    scale = max((max(values) for _label, values in rows), default=0) or 1
    desc = "; ".join(
        f"{label}: " + ", ".join(f"{name} {shown(value)}" for name, value in zip(series, values, strict=True))
        for label, values in rows
    )
    parts = _open(chart_id, width, height, title, desc)
    for index, name in enumerate(series):
        x, y = (index % 3) * (width / 3), (index // 3) * 22 + 4
        parts.append(
            f'<rect x="{x:.1f}" y="{y}" width="12" height="12" fill="{PALETTE[index % len(PALETTE)]}"/>'
        )
        parts.append(_text(x + 18, y + 11, name, size=12))
    for row, (label, values) in enumerate(rows):
        top = legend + row * group
        parts.append(_text(0, top + group / 2, label, size=13))
        for index, (name, value) in enumerate(zip(series, values, strict=True)):
            y = top + index * bar_height
            length = plot * value / scale
            parts.append(f"<g><title>{escape(f'{label} · {name}: {shown(value)}')}</title>")
            parts.append(
                f'<rect x="{label_width}" y="{y}" width="{length:.1f}" height="{bar_height - 3}" '
                f'fill="{PALETTE[index % len(PALETTE)]}" class="bar"/>'
            )
            parts.append(_text(label_width + length + 6, y + bar_height - 5, shown(value), size=11))
            parts.append("</g>")
    parts.append("</svg>")
    return "".join(parts)
