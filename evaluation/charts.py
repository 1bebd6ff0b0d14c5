"""Charts rendered on the server as SVG: no JavaScript, no CDN, readable by screen readers."""

from django.utils.html import escape
from django.utils.translation import gettext as _


def places_chart(rows, width=640, bar_height=28, gap=14, label_width=210):
    """Horizontal bars: places filled per field against its maximum. ``rows``: (name, filled, max)."""
    if not rows:
        return ""
    scale_max = max(max(maximum, filled) for _name, filled, maximum in rows) or 1
    usable = width - label_width - 60
    height = len(rows) * (bar_height + gap) + gap
    title = _("Places filled per service field against its maximum")
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-labelledby="places-title" '
        f'viewBox="0 0 {width} {height}" width="100%" class="gongmo-chart">',
        f'<title id="places-title">{escape(title)}</title>',
    ]
    for index, (name, filled, maximum) in enumerate(rows):
        y = gap + index * (bar_height + gap)
        max_width = usable * maximum / scale_max
        filled_width = usable * min(filled, maximum) / scale_max
        label = _("%(name)s: %(filled)d of %(max)d") % {"name": name, "filled": filled, "max": maximum}
        parts.append(f"<g><title>{escape(label)}</title>")
        parts.append(f'<text x="0" y="{y + bar_height * 0.68:.1f}" font-size="14">{escape(name)}</text>')
        parts.append(
            f'<rect x="{label_width}" y="{y}" width="{max_width:.1f}" height="{bar_height}" fill="#e6e8ea" rx="4"/>'
        )
        parts.append(
            f'<rect x="{label_width}" y="{y}" width="{filled_width:.1f}" height="{bar_height}" fill="#256ef4" rx="4"/>'
        )
        parts.append(
            f'<text x="{label_width + max_width + 8:.1f}" y="{y + bar_height * 0.68:.1f}" font-size="14">{filled} / {maximum}</text></g>'
        )
    parts.append("</svg>")
    return "".join(parts)
