"""Organisations in and out of the admin as spreadsheets (see competitions.resources).

Rows are matched on the business registration number, which may be written 123-45-67890: it is
normalised before the lookup and checked (check digit included) by the model's validator. The
size class is never imported: it is recomputed from the organisation's financials, as the
admin's change form does.
"""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from import_export import fields
from import_export.widgets import CharWidget, ForeignKeyWidget

from competitions.models import Region
from competitions.resources import StrictResource

from .models import Organisation, OrganisationKind
from .registration_number import format_registration_number, normalise_registration_number
from .size_class import classify


def _cell_text(value):
    """A cell as text; spreadsheets hand over 1234567890 as a number."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return "" if value is None else str(value)


class RegistrationNumberWidget(CharWidget):
    """Imports '123-45-67890' (or bare digits) as '1234567890'; exports '123-45-67890'."""

    def clean(self, value, row=None, **kwargs):
        return normalise_registration_number(_cell_text(value))

    def render(self, value, obj=None, **kwargs):
        return format_registration_number(value) if value else ""


class LookupWidget(ForeignKeyWidget):
    """A ForeignKeyWidget whose unknown values are a row's validation error in plain words
    (not an exception with a traceback). ``message`` takes %(value)s."""

    def __init__(self, model, field, message, normalise=str.strip, **kwargs):
        super().__init__(model, field, **kwargs)
        self.message = message
        self.normalise = normalise

    def clean(self, value, row=None, **kwargs):
        value = self.normalise(_cell_text(value))
        try:
            return super().clean(value, row, **kwargs)
        except self.model.DoesNotExist:
            raise ValueError(str(self.message) % {"value": value}) from None


def organisation_by_registration_number():
    return LookupWidget(
        Organisation,
        "registration_number",
        _("There is no organisation with the business registration number %(value)s."),
        normalise=normalise_registration_number,
    )


class OrganisationResource(StrictResource):
    registration_number = fields.Field(
        attribute="registration_number",
        column_name="registration_number",
        widget=RegistrationNumberWidget(),
    )
    region = fields.Field(
        attribute="region",
        column_name="region",
        widget=LookupWidget(Region, "slug", _("There is no region with the slug %(value)s.")),
    )
    size_class = fields.Field(attribute="size_class", column_name="size_class", readonly=True)
    size_class_reason = fields.Field(
        attribute="size_class_reason", column_name="size_class_reason", readonly=True
    )

    class Meta(StrictResource.Meta):
        model = Organisation
        import_id_fields = ["registration_number"]
        fields = [*Organisation.DECLARED_FIELDS, "size_class", "size_class_reason"]

    def validate_instance(self, instance, import_validation_errors=None, validate_unique=True):
        super().validate_instance(instance, import_validation_errors, validate_unique)
        self._refresh_size_class(instance)

    @staticmethod
    def _refresh_size_class(instance):
        """The rule of OrganisationAdmin.save_related: a company is classified from its last
        three fiscal years when it has any (a new one has none, and keeps a blank size class
        until they are entered); other kinds are classified from their kind alone. A row whose
        facts cannot be classified is refused, before anything is saved."""
        years = list(instance.fiscal_years.all())[:3] if instance.pk else []
        if instance.kind == OrganisationKind.COMPANY and not years:
            return
        try:
            result = classify(instance.company_facts(years))
        except ValueError as error:
            raise ValidationError(
                gettext("The size class cannot be worked out: %(reason)s") % {"reason": error}
            ) from None
        instance.size_class, instance.size_class_reason = result.code, result.reason
