from django import template

from evaluation import scheduling

register = template.Library()


@register.simple_tag
def application_slots(application):
    """The application's slots, for its page (projects does not import evaluation)."""
    return scheduling.slots_of_application(application)


@register.simple_tag
def application_change_requests(application):
    """The application's requests for another slot, open ones first, with staff's answers."""
    return scheduling.change_requests_of(application=application)
