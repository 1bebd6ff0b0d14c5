"""Load the menu board's application unit costs from smartcity/data/unit_costs.csv.

The file is the shared reference table (item, unit_cost_krw, unit, note) with the Korean texts
and, read from the living-lab report's cost table (seeds/004, Table 3), the menu service each
item prices (``menu_area``, ``menu_service``; empty when it prices none of the menu's services:
the bimodal tram, the IoT wall pad, the smart factory). Called by the migration with the
historical models, and safe to run again: items are matched by their English name.
"""

import csv
from pathlib import Path

DATA_FILE = Path(__file__).resolve().parent / "data" / "unit_costs.csv"
PER_MONTH = "per month"


def read_unit_costs():
    with open(DATA_FILE, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def load_unit_costs(get_model):
    """``get_model(app_label, name)`` returns the model class (``apps.get_model`` in a migration)."""
    UnitCost = get_model("smartcity", "UnitCost")
    SmartService = get_model("competitions", "SmartService")
    for position, row in enumerate(read_unit_costs(), start=1):
        menu_item = None
        if row["menu_service"]:
            menu_item = SmartService.objects.filter(
                area__name=row["menu_area"], name=row["menu_service"]
            ).first()
        UnitCost.objects.update_or_create(
            name=row["item"],
            defaults={
                "name_ko": row["item_ko"],
                "unit_cost": int(row["unit_cost_krw"]),
                "unit": row["unit"],
                "unit_ko": row["unit_ko"],
                # A cost "per water tap per month" runs for as many months as the package says.
                "per_month": row["unit"].endswith(PER_MONTH),
                "note": row["note"],
                "note_ko": row["note_ko"],
                "menu_item": menu_item,
                "position": position,
            },
        )
