"""Every validation message of Call, Track and ServiceField, in the words the user sees."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from tests.factories import CallFactory, ServiceFieldFactory, TrackFactory

pytestmark = pytest.mark.django_db


def errors_of(instance):
    with pytest.raises(ValidationError) as caught:
        instance.full_clean()
    return caught.value.message_dict


def test_a_valid_call_passes_validation():
    call = CallFactory.build(programme=CallFactory().programme)
    call.full_clean()  # raises on any error


def test_reception_must_close_after_it_opens():
    call = CallFactory()
    call.closes_at = call.opens_at
    assert errors_of(call) == {"closes_at": ["Reception must close after it opens."]}


def test_briefing_before_close():
    call = CallFactory()
    call.briefing_at = call.closes_at + timedelta(minutes=1)
    assert errors_of(call) == {"briefing_at": ["The briefing must take place before reception closes."]}


def test_subsidy_min_not_above_max_with_amounts_in_won():
    call = CallFactory(subsidy_min=50_000_000, subsidy_max=300_000_000)
    call.subsidy_min = 300_000_001
    assert errors_of(call) == {
        "subsidy_min": [
            "The minimum subsidy (300,000,001 KRW) cannot exceed the maximum subsidy (300,000,000 KRW)."
        ]
    }


def test_subsidy_max_not_above_budget():
    call = CallFactory(budget_total=100_000_000, subsidy_min=0, subsidy_max=50_000_000)
    call.subsidy_max = 100_000_001
    assert errors_of(call) == {
        "subsidy_max": [
            "The maximum subsidy per award (100,000,001 KRW) cannot exceed the total budget (100,000,000 KRW)."
        ]
    }


def test_subsidy_equal_to_budget_is_allowed():
    call = CallFactory(budget_total=100_000_000, subsidy_min=100_000_000, subsidy_max=100_000_000)
    call.full_clean()


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("max_awards", 0, "The maximum number of awards must be at least 1."),
        ("budget_total", 0, "The total budget must be at least 1 won."),
        ("reference_prefix", "pc-22", "Use capital letters and digits only, e.g. PC22."),
    ],
)
def test_field_rules(field, value, message):
    call = CallFactory()
    setattr(call, field, value)
    assert message in errors_of(call)[field]


def test_previous_stage_must_close_before_this_stage_opens():
    first = CallFactory()
    second = CallFactory(previous_stage=None)
    second.previous_stage = first
    second.opens_at = first.closes_at - timedelta(hours=1)
    second.closes_at = first.closes_at + timedelta(days=5)
    message = errors_of(second)["previous_stage"][0]
    assert message.startswith("The previous stage must close (")
    assert "KST) before this stage opens." in message


def test_a_call_cannot_be_its_own_previous_stage():
    call = CallFactory()
    call.previous_stage = call
    assert errors_of(call) == {"previous_stage": ["A call cannot be its own previous stage."]}


def test_validation_messages_follow_the_users_language():
    call = CallFactory()
    call.closes_at = call.opens_at
    with translation.override("ko"):
        message = errors_of(call)["closes_at"][0]
    assert message != "Reception must close after it opens."
    assert "접수" in message


def test_quota_must_be_positive():
    track = TrackFactory.build(call=CallFactory(), max_awards=0)
    assert "The maximum number of awards must be at least 1." in errors_of(track)["max_awards"]
    field = ServiceFieldFactory.build(call=CallFactory(), max_awards=0)
    assert "The maximum number of awards must be at least 1." in errors_of(field)["max_awards"]


def test_quota_cannot_exceed_the_call_maximum():
    call = CallFactory(max_awards=14)
    field = ServiceFieldFactory.build(call=call, name="Smart infrastructure", max_awards=15)
    assert errors_of(field) == {
        "max_awards": ["Smart infrastructure cannot have more awards (15) than the call allows in all (14)."]
    }


def test_track_cap_within_the_call_subsidy_range():
    call = CallFactory(subsidy_min=50_000_000, subsidy_max=300_000_000)
    above = TrackFactory.build(call=call, subsidy_cap=300_000_001)
    assert errors_of(above) == {
        "subsidy_cap": [
            "The track's cap (300,000,001 KRW) cannot exceed the call's maximum subsidy (300,000,000 KRW)."
        ]
    }
    below = TrackFactory.build(call=call, subsidy_cap=49_999_999)
    assert errors_of(below) == {
        "subsidy_cap": [
            "The track's cap (49,999,999 KRW) cannot be below the call's minimum subsidy (50,000,000 KRW)."
        ]
    }


def test_field_quotas_may_add_up_to_more_than_the_call_maximum():
    """The 2022 pilot call: 4+5+4+4+5 = 22 field places for at most 14 awards is valid."""
    call = CallFactory(max_awards=14)
    for name, quota in [("A", 4), ("B", 5), ("C", 4), ("D", 4), ("E", 5)]:
        field = ServiceFieldFactory.build(call=call, name=name, max_awards=quota)
        field.full_clean()
        field.save()
    assert call.field_places() == 22


def test_track_effective_subsidy_max_falls_back_to_the_call():
    call = CallFactory(subsidy_max=300_000_000)
    assert TrackFactory(call=call, subsidy_cap=None).effective_subsidy_max == 300_000_000
    assert TrackFactory(call=call, subsidy_cap=100_000_000).effective_subsidy_max == 100_000_000
