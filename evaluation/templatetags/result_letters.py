"""``{% result_letter application %}``: the application's result letter on its page, once its
result is published (nothing before)."""

from django import template

from evaluation.result_letters import letter_for

register = template.Library()


@register.inclusion_tag("evaluation/result_letter_section.html")
def result_letter(application):
    return {"letter": letter_for(application), "application": application}
