"""Forms rendered as KRDS form groups: one renderer and one mixin for every form of the site."""

from django import forms
from django.forms.renderers import TemplatesSetting


class KRDSFormRenderer(TemplatesSetting):
    form_template_name = "forms/form.html"
    field_template_name = "forms/field.html"


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
        if isinstance(widget, forms.CheckboxInput):
            widget.attrs.setdefault("class", "krds-form-check-input")
        elif isinstance(widget, forms.Select):
            widget.attrs.setdefault("class", "krds-form-select")
        elif isinstance(widget, forms.Textarea):
            widget.attrs.setdefault("class", "krds-input krds-textarea")
        else:
            widget.attrs.setdefault("class", "krds-input")
