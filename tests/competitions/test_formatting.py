from datetime import UTC, datetime

import pytest
from django.utils import translation

from competitions.formatting import format_krw, format_krw_long, format_seoul, korean_reading


@pytest.mark.parametrize(
    ("amount", "reading"),
    [
        (3_790_000_000, "37억 9,000만 원"),
        (50_000_000, "5,000만 원"),
        (300_000_000, "3억 원"),
        (1_500_000_000, "15억 원"),
        (20_000_000_000, "200억 원"),
        (1_000_000_000_000, "1조 원"),
        (123_456_789, "1억 2,345만 6,789 원"),
        (9_999, "9,999 원"),
        (0, "0 원"),
        (-50_000_000, "-5,000만 원"),
    ],
)
def test_korean_reading(amount, reading):
    assert korean_reading(amount) == reading


def test_krw_in_english_has_thousand_separators_and_no_korean_reading():
    assert format_krw(3_790_000_000) == "3,790,000,000 KRW"
    assert format_krw_long(3_790_000_000) == "3,790,000,000 KRW"


def test_krw_in_korean_adds_the_eok_man_reading():
    with translation.override("ko"):
        text = format_krw_long(3_790_000_000)
    assert text.startswith("3,790,000,000")
    assert text.endswith("(37억 9,000만 원)")


def test_times_are_shown_in_seoul_whatever_the_stored_zone():
    stored = datetime(2022, 3, 25, 8, 0, tzinfo=UTC)  # 17:00 in Seoul
    assert format_seoul(stored) == "2022-03-25 17:00 KST"
