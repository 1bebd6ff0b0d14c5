from django import template

from evaluation import scheduling

register = template.Library()


@register.simple_tag
def application_slots(application):
    """The application's slots, for its page (projects does not import evaluation)."""
    return scheduling.slots_of_application(application)
