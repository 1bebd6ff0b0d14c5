"""What base.html needs to tell everyone, screen reader or not, what went wrong on a page.

``{% error_summary as form_problems %}`` gathers the errors of every bound form and formset the view
put in the context (only those already validated: rendering never runs a form's validation), each
with the id of its field, for the error summary at the top of the page and the "Error:" title.
A page whose inputs are not a Django form (the review form's score rows) puts its errors in
``field_problems``: (message, field id, label) triples, summarised the same way.
``messages|refusals`` and ``messages|notices`` split the flash messages into the refused actions
(one alert region) and the rest (a status)."""

from django import template
from django.contrib.messages import constants
from django.forms import BaseForm, BaseFormSet

from config import korean

register = template.Library()


class Problem:
    """One line of the error summary: the message, and the field it belongs to (``href``) if any."""

    def __init__(self, message, field_id=None, label=None):
        self.message = korean.resolve_particles(str(message))
        self.href = f"#{field_id}" if field_id else ""
        self.label = str(label) if label else ""


def _form_problems(form):
    if getattr(form, "_errors", None) is None or not form.errors:
        return []
    problems = [Problem(error) for error in form.non_field_errors()]
    for name, errors in form.errors.items():
        if name == "__all__" or name not in form.fields:
            continue
        bound = form[name]
        if bound.is_hidden:
            problems.extend(Problem(error) for error in errors)
            continue
        problems.extend(Problem(error, bound.id_for_label or bound.auto_id, bound.label) for error in errors)
    return problems


def _formset_problems(formset):
    if getattr(formset, "_errors", None) is None:
        return []
    problems = [Problem(error) for error in formset.non_form_errors()]
    for form in formset.forms:
        problems.extend(_form_problems(form))
    return problems


@register.simple_tag(takes_context=True)
def error_summary(context):
    """Every error of the forms on the page, each form once, in the order the context holds them."""
    seen, problems = set(), []
    for value in context.flatten().values():
        if id(value) in seen:
            continue
        seen.add(id(value))
        if isinstance(value, BaseFormSet):
            problems.extend(_formset_problems(value))
        elif isinstance(value, BaseForm):
            problems.extend(_form_problems(value))
    problems.extend(
        Problem(message, field_id, label) for message, field_id, label in context.get("field_problems", ())
    )
    return problems


@register.filter
def refusals(messages):
    return [message for message in messages if message.level >= constants.ERROR]


@register.filter
def notices(messages):
    return [message for message in messages if message.level < constants.ERROR]
