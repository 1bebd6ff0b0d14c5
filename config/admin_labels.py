"""Every control of the admin has an accessible name (issue 20: the call page's tabular inlines
showed 59 inputs named only by a column heading a screen reader does not tie to them).

``NamedTabularInline`` replaces ``admin.TabularInline``: each row's inputs carry their column's
label as ``aria-label`` (the empty row the "Add another" button copies too).
``NamedControlsAdmin`` does the same on a change form for the inputs Django leaves without a
``<label for>`` (the date and time halves of a split date-time)."""

from django.contrib import admin
from django.contrib.admin.widgets import RelatedFieldWidgetWrapper
from django.forms import MultiWidget, SplitDateTimeWidget
from django.utils.translation import gettext


def name_controls(form, *, every=True):
    """Sets ``aria-label`` from the field's label on each widget of ``form`` (only multi-part
    widgets unless ``every``), without overriding a name already given."""
    for field in form.fields.values():
        widget = field.widget
        while isinstance(widget, RelatedFieldWidgetWrapper):
            widget = widget.widget
        label = str(field.label or "")
        if not label:
            continue
        if isinstance(widget, MultiWidget):
            if isinstance(widget, SplitDateTimeWidget):
                parts = [gettext("date"), gettext("time")]
            else:
                parts = [str(number) for number in range(1, len(widget.widgets) + 1)]
            for part, subwidget in zip(parts, widget.widgets, strict=True):
                subwidget.attrs.setdefault("aria-label", f"{label} ({part})")
        elif every:
            widget.attrs.setdefault("aria-label", label)


class NamedTabularInline(admin.TabularInline):
    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)

        class Named(formset):
            def add_fields(self, form, index):
                super().add_fields(form, index)
                name_controls(form)

        Named.__name__ = formset.__name__
        return Named


class NamedControlsAdmin:
    """A ModelAdmin mixin: the change form's multi-part inputs named part by part."""

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)

        class Named(form):
            def __init__(self, *args, **kwargs):
                super().__init__(*args, **kwargs)
                name_controls(self, every=False)

        Named.__name__ = form.__name__
        return Named
