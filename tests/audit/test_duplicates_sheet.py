"""The funding workbook's Duplicate check sheet, read back with openpyxl: every finding of the
call's applications with its kind, what it was found against, score, evidence and the decision
(state, who, when in Korea time, why); Korean headers in Korean."""

from datetime import date, timedelta

import pytest
from openpyxl import load_workbook

from audit.funding_workbook import sheet_title, write_funding_workbook
from competitions.formatting import SEOUL
from projects import duplicates
from projects.models import DuplicateFinding, FindingState, Sanction
from tests.factories import CallFactory, OrganisationFactory, StaffFactory, reception_closed
from tests.projects.test_duplicates import PROPOSAL, UNRELATED, indexed, submitted

pytestmark = pytest.mark.django_db


@pytest.fixture
def decided(role_groups):
    staff = StaffFactory(email="checker@gongmo.example")
    call = CallFactory(slug="dupes-2026", state="published")
    earlier = indexed(submitted(call=CallFactory(state="published"), title="Shuttle"))
    copy = submitted(call=call, title="Shuttle", summary=PROPOSAL)
    (similar,) = duplicates.run_check(copy, by=staff)
    lead = OrganisationFactory(name="Late Corp.")
    Sanction.objects.create(
        organisation=lead, starts_on=date(2021, 1, 1), ends_on=date(2021, 6, 30), reason="Late"
    )
    sanctioned = submitted(call=call, lead=lead, title="Flood", summary=UNRELATED)
    (sanction,) = duplicates.run_check(sanctioned, by=staff)
    duplicates.clear_finding(sanction, by=staff, reason="Served in 2021.")
    reception_closed(call)
    return call, earlier, copy, similar, sanctioned, DuplicateFinding.objects.get(pk=sanction.pk)


def sheet(call, tmp_path, lang="en"):
    path = tmp_path / f"funding-{lang}.xlsx"
    summary = write_funding_workbook([call], path, lang=lang)
    title = sheet_title("Duplicate check", lang)  # 중복성 검토 in the Korean edition
    rows = [list(row) for row in load_workbook(path)[title].iter_rows(values_only=True)]
    return summary, rows[0], rows[1:]


def test_every_finding_with_its_evidence_and_decision(decided, tmp_path):
    call, earlier, copy, similar, sanctioned, cleared = decided
    summary, header, rows = sheet(call, tmp_path)
    assert header == [
        "Reference",
        "Kind",
        "Found against",
        "Similarity",
        "Evidence",
        "Found at",
        "State",
        "Decided by",
        "Decided at",
        "Reason",
    ]
    by_reference = {row[0]: row for row in rows}
    assert sorted(by_reference) == sorted([copy.reference, sanctioned.reference])
    open_row = by_reference[copy.reference]
    assert open_row[1:4] == ["Near-identical proposal text", earlier.reference, 1.0]
    assert "100% the same as" in open_row[4] and "Matching passages" in open_row[4]
    assert abs(open_row[5] - similar.created_at.astimezone(SEOUL).replace(tzinfo=None)) < timedelta(seconds=1)
    assert open_row[6:] == ["Open", None, None, None]
    cleared_row = by_reference[sanctioned.reference]
    assert cleared_row[1:4] == ["Sanction history", "Late Corp.", None]
    assert cleared_row[6:8] == ["Cleared", "checker@gongmo.example"]
    assert abs(cleared_row[8] - cleared.decided_at.astimezone(SEOUL).replace(tzinfo=None)) < timedelta(
        seconds=1
    )
    assert cleared_row[9] == "Served in 2021."
    assert summary["rows"]["Duplicate check"] == 2 and summary["passed"]


def test_an_upheld_finding_reads_as_upheld(decided, tmp_path):
    call, _earlier, _copy, similar, *_rest = decided
    duplicates.reject_with_finding(similar, by=StaffFactory(), reason="Copied from an earlier call.")
    _summary, _header, rows = sheet(call, tmp_path)
    (row,) = [row for row in rows if row[6] == str(FindingState.UPHELD.label)]
    assert row[9] == "Copied from an earlier call."


def test_the_sheet_in_korean(decided, tmp_path):
    call, _earlier, copy, *_rest = decided
    _summary, header, rows = sheet(call, tmp_path, lang="ko")
    assert header[:10] == [
        "접수번호",
        "구분",
        "대상",
        "유사도",
        "증빙",
        "발견 일시",
        "상태",
        "결정자",
        "결정 일시",
        "사유",
    ]
    by_reference = {row[0]: row for row in rows}
    assert by_reference[copy.reference][1] == "거의 같은 제안 내용"
    assert by_reference[copy.reference][6] == "처리 대기"
