"""The taxonomies the migrations load from competitions/data (facts from shared/reference)."""

import csv
from pathlib import Path

import pytest

from competitions.models import (
    Region,
    ServiceType,
    SizeClass,
    SmartService,
    SmartServiceArea,
    TechnologyField,
)
from competitions.reference_data import DATA_DIR, load_reference_data

pytestmark = pytest.mark.django_db

SHARED_REFERENCE = Path(__file__).resolve().parents[3] / "shared" / "reference"


def test_counts_match_the_source_documents():
    assert TechnologyField.objects.count() == 21
    assert ServiceType.objects.count() == 39
    assert Region.objects.count() == 17
    assert SmartServiceArea.objects.count() == 8
    assert SmartService.objects.count() == 39
    assert list(SizeClass.objects.values_list("code", flat=True)) == [
        "sme",
        "mid",
        "large",
        "public",
        "nonprofit",
    ]


def test_every_name_has_a_korean_name():
    for model in (TechnologyField, ServiceType, Region, SizeClass, SmartServiceArea, SmartService):
        assert not model.objects.filter(name_ko="").exists(), model.__name__


def test_capital_region_is_seoul_gyeonggi_incheon():
    assert set(Region.objects.filter(capital_area=True).values_list("slug", flat=True)) == {
        "seoul",
        "gyeonggi-do",
        "incheon",
    }


def test_loading_again_changes_nothing():
    before = [m.objects.count() for m in (TechnologyField, ServiceType, Region, SizeClass, SmartService)]
    load_reference_data(
        lambda name: {
            m.__name__: m
            for m in (TechnologyField, ServiceType, Region, SizeClass, SmartServiceArea, SmartService)
        }[name]
    )
    after = [m.objects.count() for m in (TechnologyField, ServiceType, Region, SizeClass, SmartService)]
    assert before == after


def test_repo_data_agrees_with_the_shared_reference():
    """The English facts in competitions/data are those of shared/reference (when it is beside the repo)."""
    pairs = [
        ("technology_fields.csv", "technology_fields.csv", "name", "name"),
        ("service_types.csv", "service_types.csv", "name", "name"),
        ("regions.csv", "regions.csv", "name", "name"),
        ("size_classes.csv", "company_sizes.csv", "name", "name"),
        ("smart_services.csv", "smart_services_menu.csv", "name", "service"),
    ]
    for ours, theirs, our_column, their_column in pairs:
        with open(DATA_DIR / ours, encoding="utf-8") as mine:
            our_names = [row[our_column] for row in csv.DictReader(mine)]
        source = SHARED_REFERENCE / theirs
        if source.exists():
            with open(source, encoding="utf-8") as shared:
                assert our_names == [row[their_column] for row in csv.DictReader(shared)], ours
        assert our_names, ours
