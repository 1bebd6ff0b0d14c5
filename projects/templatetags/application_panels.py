"""``{% application_panels application %}``: the sections registered by the floors above
(projects.panels), in the order they registered."""

from django import template
from django.utils.safestring import mark_safe

from projects.panels import render_application_panels

register = template.Library()


@register.simple_tag(takes_context=True)
def application_panels(context, application):
    return mark_safe("".join(render_application_panels(application, context)))  # noqa: S308 - rendered templates
