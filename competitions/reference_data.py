"""Load the reference taxonomies from competitions/data/*.csv (facts from shared/reference).

Called by migration 0002 with the historical models, and safe to run again: rows are matched by
their natural key and updated, never duplicated.
"""

import csv
from pathlib import Path

DATA_DIR = Path(__file__).resolve().parent / "data"


def read_rows(name):
    with open(DATA_DIR / name, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def load_reference_data(get_model):
    """``get_model(name)`` returns the model class (``apps.get_model`` in a migration)."""
    TechnologyField = get_model("TechnologyField")
    ServiceType = get_model("ServiceType")
    Region = get_model("Region")
    SizeClass = get_model("SizeClass")
    SmartServiceArea = get_model("SmartServiceArea")
    SmartService = get_model("SmartService")

    for row in read_rows("technology_fields.csv"):
        TechnologyField.objects.update_or_create(
            code=int(row["code"]), defaults={"name": row["name"], "name_ko": row["name_ko"]}
        )
    for row in read_rows("service_types.csv"):
        ServiceType.objects.update_or_create(
            code=int(row["code"]), defaults={"name": row["name"], "name_ko": row["name_ko"]}
        )
    for row in read_rows("regions.csv"):
        Region.objects.update_or_create(
            slug=row["slug"],
            defaults={
                "name": row["name"],
                "name_ko": row["name_ko"],
                "capital_area": row["capital_area"] == "1",
                "technologies_2021": int(row["technologies_2021"]),
                "companies_2021": int(row["companies_2021"]),
            },
        )
    for row in read_rows("size_classes.csv"):
        SizeClass.objects.update_or_create(
            code=row["code"],
            defaults={
                "name": row["name"],
                "name_ko": row["name_ko"],
                "definition": row["definition"],
                "companies_2021": int(row["companies_2021"]),
            },
        )
    for row in read_rows("smart_services.csv"):
        area, _ = SmartServiceArea.objects.update_or_create(
            name=row["area"], defaults={"name_ko": row["area_ko"]}
        )
        SmartService.objects.update_or_create(
            area=area, name=row["name"], defaults={"name_ko": row["name_ko"]}
        )


def load_districts(get_model):
    """The cities, counties and autonomous districts (시·군·구) listed so far; staff add the
    others in the admin (the shared reference data lists the 17 regions only)."""
    Region = get_model("Region")
    District = get_model("District")
    regions = {region.slug: region for region in Region.objects.all()}
    for row in read_rows("districts.csv"):
        region = regions.get(row["region"])
        if region is None:
            continue
        District.objects.update_or_create(
            region=region, name=row["name"], defaults={"name_ko": row["name_ko"], "level": row["level"]}
        )
