"""django-import-export resources: spreadsheets in and out of the admin.

Imports run model validation on every row (``clean_model_instances``) inside one transaction,
so a file with one bad row writes nothing and the row's error is shown to the user. The Call's
lifecycle state is never imported: it changes only through competitions.lifecycle.

Exported text that a spreadsheet program would run as a formula gets a leading apostrophe
(import-export's own setting only drops one leading "=", which "==..." and CSV's "+", "-" and
"@" get past); importing removes that apostrophe again, so an exported file re-imports unchanged.
"""

from import_export import fields, resources
from import_export.widgets import DurationWidget, ForeignKeyWidget, NumberWidget

from config.safe_cells import FORMULA_TRIGGERS

from .models import (
    Call,
    Programme,
    Region,
    ServiceField,
    ServiceType,
    SizeClass,
    SmartService,
    SmartServiceArea,
    TechnologyField,
    Track,
)


class StrictResource(resources.ModelResource):
    class Meta:
        clean_model_instances = True
        use_transactions = True
        skip_unchanged = True
        report_skipped = True

    def import_data(self, dataset, **kwargs):
        # Also at the confirm step: a row that fails there (the data changed since the preview)
        # rolls the whole file back instead of being skipped while the other rows are written.
        kwargs.setdefault("rollback_on_validation_errors", True)
        return super().import_data(dataset, **kwargs)

    def before_import_row(self, row, **kwargs):
        for column, value in row.items():
            if isinstance(value, str) and value[:1] == "'" and value[1:].startswith(FORMULA_TRIGGERS):
                row[column] = value[1:]  # the apostrophe export_field added
        super().before_import_row(row, **kwargs)

    def export_field(self, field, instance, **kwargs):
        value = super().export_field(field, instance, **kwargs)
        if (
            isinstance(value, str)
            and not isinstance(field.widget, NumberWidget | DurationWidget)  # "-5" stays a number
            and value.startswith(FORMULA_TRIGGERS)
        ):
            return "'" + value
        return value


class TechnologyFieldResource(StrictResource):
    class Meta(StrictResource.Meta):
        model = TechnologyField
        import_id_fields = ["code"]
        fields = ["code", "name", "name_ko"]


class ServiceTypeResource(StrictResource):
    class Meta(StrictResource.Meta):
        model = ServiceType
        import_id_fields = ["code"]
        fields = ["code", "name", "name_ko"]


class RegionResource(StrictResource):
    class Meta(StrictResource.Meta):
        model = Region
        import_id_fields = ["slug"]
        fields = ["slug", "name", "name_ko", "capital_area", "technologies_2021", "companies_2021"]


class SizeClassResource(StrictResource):
    class Meta(StrictResource.Meta):
        model = SizeClass
        import_id_fields = ["code"]
        fields = ["code", "name", "name_ko", "definition", "companies_2021"]


class SmartServiceAreaResource(StrictResource):
    class Meta(StrictResource.Meta):
        model = SmartServiceArea
        import_id_fields = ["name"]
        fields = ["name", "name_ko"]


class SmartServiceResource(StrictResource):
    area = fields.Field(
        attribute="area", column_name="area", widget=ForeignKeyWidget(SmartServiceArea, "name")
    )

    class Meta(StrictResource.Meta):
        model = SmartService
        import_id_fields = ["area", "name"]
        fields = ["area", "name", "name_ko"]


class ProgrammeResource(StrictResource):
    class Meta(StrictResource.Meta):
        model = Programme
        import_id_fields = ["slug"]
        fields = ["slug", "name", "name_ko", "ministry", "description"]


class CallResource(StrictResource):
    programme = fields.Field(
        attribute="programme", column_name="programme", widget=ForeignKeyWidget(Programme, "slug")
    )
    previous_stage = fields.Field(
        attribute="previous_stage",
        column_name="previous_stage",
        widget=ForeignKeyWidget(Call, "slug"),
    )
    state = fields.Field(attribute="state", column_name="state", readonly=True)

    class Meta(StrictResource.Meta):
        model = Call
        import_id_fields = ["slug"]
        fields = [
            "slug",
            "programme",
            "title",
            "title_ko",
            "summary",
            "summary_ko",
            "who_may_apply",
            "who_may_apply_ko",
            "reference_prefix",
            "opens_at",
            "closes_at",
            "briefing_at",
            "budget_total",
            "max_awards",
            "subsidy_min",
            "subsidy_max",
            "previous_stage",
            "blind_review",
            "state",
        ]


class QuotaResource(StrictResource):
    call = fields.Field(attribute="call", column_name="call", widget=ForeignKeyWidget(Call, "slug"))

    class Meta(StrictResource.Meta):
        import_id_fields = ["call", "name"]


class TrackResource(QuotaResource):
    class Meta(QuotaResource.Meta):
        model = Track
        # A file without a column (one exported before living_lab was) leaves that field as it is.
        fields = ["call", "name", "name_ko", "max_awards", "subsidy_cap", "position", "living_lab"]


class ServiceFieldResource(QuotaResource):
    class Meta(QuotaResource.Meta):
        model = ServiceField
        fields = ["call", "name", "name_ko", "max_awards", "position"]
