"""Tracks in spreadsheets and the API carry whether a track is the citizen-led living-lab track
(Track.living_lab): exported, imported, and left as it is by a file without the column."""

import pytest
import tablib

from competitions.resources import TrackResource
from tests.factories import CallFactory, TrackFactory

pytestmark = pytest.mark.django_db


def _import(rows, headers):
    result = TrackResource().import_data(tablib.Dataset(*rows, headers=headers), dry_run=False)
    assert not result.has_errors() and not result.has_validation_errors()
    return result


def test_the_living_lab_flag_is_exported_and_imported():
    call = CallFactory(slug="labs-2026")
    lab = TrackFactory(call=call, name="Citizen-led", living_lab=True)
    TrackFactory(call=call, name="Enterprise-led")
    exported = TrackResource().export()
    flags = dict(zip(exported["name"], exported["living_lab"], strict=True))
    assert flags["Citizen-led"] in (True, 1, "1") and flags["Enterprise-led"] in (False, 0, "0")

    headers = ["call", "name", "name_ko", "max_awards", "subsidy_cap", "position", "living_lab"]
    _import([("labs-2026", "Enterprise-led", "", 5, "", 0, "1")], headers)
    lab.refresh_from_db()
    assert lab.living_lab
    assert call.tracks.get(name="Enterprise-led").living_lab


def test_a_file_without_the_column_leaves_the_flag_as_it_was():
    call = CallFactory(slug="labs-2027")
    lab = TrackFactory(call=call, name="Citizen-led", living_lab=True, max_awards=3)
    _import(
        [("labs-2027", "Citizen-led", "", 4, "", 0)],
        ["call", "name", "name_ko", "max_awards", "subsidy_cap", "position"],
    )
    lab.refresh_from_db()
    assert lab.max_awards == 4 and lab.living_lab


def test_the_api_says_which_track_is_the_living_lab(client):
    from api.serializers import TrackSerializer

    lab = TrackFactory(living_lab=True)
    assert TrackSerializer(lab).data["living_lab"] is True
