"""Public pages keep a constant number of queries whatever the number of calls, tracks and
fields (without the demo, so that the counts of shown calls are exact)."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from competitions.models import CallState
from tests.factories import CallFactory, ProgrammeFactory, ServiceFieldFactory, TrackFactory

pytestmark = pytest.mark.django_db


def make_calls(count, state=CallState.PUBLISHED, past=False):
    programme = ProgrammeFactory()
    now = timezone.now()
    window = (
        (now - timedelta(days=40), now - timedelta(days=10))
        if past
        else (now - timedelta(days=1), now + timedelta(days=5))
    )
    CallFactory.create_batch(count, programme=programme, state=state, opens_at=window[0], closes_at=window[1])


@pytest.mark.parametrize("tab,past", [("current", False), ("past", True)])
@pytest.mark.parametrize("count", [3, 60])
def test_call_list_query_count_is_constant(client, django_assert_num_queries, tab, past, count):
    make_calls(count, past=past)
    # count + one page of calls with their programmes; nothing per row.
    with django_assert_num_queries(2):
        response = client.get(reverse("competitions:call_list"), {"tab": tab})
    assert response.status_code == 200
    shown = response.content.decode().count('class="structured-item"')
    assert shown == min(count, 20)


@pytest.mark.parametrize("count", [1, 12])
def test_call_page_query_count_is_constant(client, django_assert_num_queries, count):
    """The same queries whatever the number of tracks and service fields the call has."""
    call = CallFactory(state=CallState.PUBLISHED, max_awards=50)
    for n in range(count):
        TrackFactory(call=call, name=f"Track {n}", max_awards=1)
        ServiceFieldFactory(call=call, name=f"Field {n}", max_awards=1)
    # call (+programme, previous stage, contact), tracks, fields; the notice page's documents,
    # notices, answered questions and deadline extensions
    with django_assert_num_queries(7):
        response = client.get(reverse("competitions:call_detail", args=[call.slug]))
    page = response.content.decode()
    assert response.status_code == 200
    assert all(f"Field {n}" in page and f"Track {n}" in page for n in range(count))
