"""Forms rendered as KRDS form groups: one renderer and one mixin for every form of the site."""

from django import forms
from django.forms.renderers import TemplatesSetting


class KRDSFormRenderer(TemplatesSetting):
    form_template_name = "forms/form.html"
    field_template_name = "forms/field.html"


# Dates: one format everywhere, typed and shown as the help under the field says (2026-03-14).
# The browser's own date picker shows the format of the browser's locale (mm/dd/yyyy in an
# English Chromium), which the help text cannot name; a text box with the ISO pattern can.
DATE_FORMAT = "%Y-%m-%d"
DATE_ATTRS = {
    "placeholder": "YYYY-MM-DD",
    "inputmode": "numeric",
    "pattern": r"\d{4}-\d{2}-\d{2}",
    "autocomplete": "off",
}


def iso_date_widget(widget):
    """The date input every form uses: a text box taking and showing YYYY-MM-DD."""
    widget.input_type = "text"
    widget.format = DATE_FORMAT
    widget.attrs.pop("type", None)
    for name, value in DATE_ATTRS.items():
        widget.attrs.setdefault(name, value)
    return widget


class KRDSFormMixin:
    """Gives each widget the KRDS class it is styled by."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        style_widgets(self.fields.values())


def style_widgets(fields):
    """Give each field's widget the KRDS class it is styled by (for fields added after init)."""
    for field in fields:
        widget = field.widget
        if isinstance(widget, forms.CheckboxSelectMultiple | forms.RadioSelect):
            continue
        if isinstance(widget, forms.DateInput):
            iso_date_widget(widget)
        if isinstance(widget, forms.CheckboxInput):
            widget.attrs.setdefault("class", "krds-form-check-input")
        elif isinstance(widget, forms.Select):
            widget.attrs.setdefault("class", "krds-form-select")
        elif isinstance(widget, forms.Textarea):
            widget.attrs.setdefault("class", "krds-input krds-textarea")
        else:
            widget.attrs.setdefault("class", "krds-input")


class LongChoices(forms.CheckboxSelectMultiple):
    """A long list of checkboxes (the smart-services menu, technology fields, service types) in
    one collapsible box with a search box (static/gongmo/choices.js filters the options as one
    types; a hidden option stays chosen), the options in groups with a legend when ``group_by``
    names each model instance's group. Without JavaScript: the box still opens and closes (a
    ``<details>``), every option is there, the search box stays hidden."""

    template_name = "forms/widgets/long_choices.html"

    def __init__(self, attrs=None, choices=(), group_by=None):
        super().__init__(attrs, choices)
        self.group_by = group_by

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        groups = []
        for _group, options, _index in context["widget"]["optgroups"]:
            for option in options:
                instance = getattr(option["value"], "instance", None)
                title = self.group_by(instance) if self.group_by and instance is not None else ""
                if not groups or groups[-1][0] != title:
                    groups.append((title, []))
                groups[-1][1].append(option)
        context["widget"]["groups"] = groups
        context["widget"]["chosen"] = sum(1 for _t, options in groups for o in options if o["selected"])
        return context
