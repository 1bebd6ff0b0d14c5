from django import template

from competitions.formatting import format_krw, format_krw_long, format_seoul

register = template.Library()


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
