from django import template
from django.utils.html import format_html
from django.utils.translation import gettext_lazy

from competitions.formatting import format_krw, format_krw_long, format_seoul

register = template.Library()

# An organisation's size class as the lists that name organisations show it: (badge style, label).
SIZE_CLASS_BADGES = {
    "sme": ("bg-light-success", gettext_lazy("SME")),
    "mid": ("bg-light-information", gettext_lazy("Mid-sized")),
    "large": ("bg-light-warning", gettext_lazy("Large")),
    "public": ("bg-light-secondary", gettext_lazy("Public")),
    "nonprofit": ("bg-light-secondary", gettext_lazy("Non-profit")),
}
UNKNOWN_SIZE_CLASS_BADGE = ("outline-gray", gettext_lazy("Unknown"))


@register.filter
def krw(amount):
    """Integer won with thousand separators, in Korean with the 억/만 원 reading too."""
    return format_krw_long(amount)


@register.filter
def krw_short(amount):
    return format_krw(amount)


@register.filter
def seoul(value):
    """A date and time shown in Asia/Seoul."""
    return format_seoul(value)


@register.filter
def size_class_badge(code):
    """The badge of a size class (Organisation.size_class; unknown when empty). A filter, not an
    included template: the eligibility queue shows one on each of its 50 rows."""
    style, label = SIZE_CLASS_BADGES.get(code, UNKNOWN_SIZE_CLASS_BADGE)
    return format_html('<span class="krds-badge {}">{}</span>', style, label)
