"""Issue 20, the admin and the forms as a Korean reader meets them: names in Korean order, money
formatted, action names in the reader's language, every field named in Korean, one date format."""

import pytest
from django import forms
from django.urls import reverse
from django.utils import translation

from accounts.models import User, full_name
from config.field_names import unnamed_fields
from config.krds import KRDSFormMixin
from tests.factories import CallFactory, TrackFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("first", "last", "expected"),
    [
        ("민수", "김", "김민수"),
        ("Minsu", "Kim", "Minsu Kim"),
        ("민수", "", "민수"),
        ("", "Kim", "Kim"),
        ("", "", ""),
    ],
)
def test_a_korean_name_reads_family_name_first_without_a_space(first, last, expected):
    assert full_name(first, last) == expected
    assert User(first_name=first, last_name=last, email="x@gongmo.example").get_full_name() == expected


def test_the_admin_user_list_shows_korean_names_in_korean_order(admin_client):
    User.objects.create_user(email="kim@gongmo.example", first_name="민수", last_name="김")
    page = admin_client.get(
        reverse("admin:accounts_user_changelist"), HTTP_ACCEPT_LANGUAGE="ko"
    ).content.decode()
    assert "김민수" in page and "민수 김" not in page
    assert "성명" in page


def test_lifecycle_action_names_follow_the_language_of_the_admin(admin_client):
    CallFactory()
    url = reverse("admin:competitions_call_changelist")
    english = admin_client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert '<option value="lifecycle_publish">Publish</option>' in english
    assert "공고</option>" not in english
    korean = admin_client.get(url, HTTP_ACCEPT_LANGUAGE="ko").content.decode()
    assert '<option value="lifecycle_publish">공고</option>' in korean


def test_amounts_in_the_admin_have_thousand_separators(admin_client):
    track = TrackFactory(call=CallFactory(), subsidy_cap=300_000_000)
    page = admin_client.get(reverse("admin:competitions_track_changelist"), HTTP_ACCEPT_LANGUAGE="en")
    assert "300,000,000 KRW" in page.content.decode()
    assert "300000000" not in page.content.decode()
    change = admin_client.get(reverse("admin:competitions_track_change", args=[track.pk]))
    assert change.status_code == 200  # the cap stays an editable field where it is one


def test_every_model_field_has_a_translated_name():
    assert [f"{label}.{model.__name__}.{field.name}" for label, model, field in unnamed_fields()] == []
    with translation.override("ko"):
        from projects.models import Document

        assert str(Document._meta.get_field("uploaded_by").verbose_name) == "올린 사람"


def test_the_state_log_inline_reads_in_korean(admin_client):
    call = CallFactory()
    page = admin_client.get(
        reverse("admin:competitions_call_change", args=[call.pk]), HTTP_ACCEPT_LANGUAGE="ko"
    ).content.decode()
    assert "상태 변경 이력" in page
    assert "Target state" not in page and "State logs" not in page


class _DateForm(KRDSFormMixin, forms.Form):
    day = forms.DateField(label="day")


def test_a_date_field_takes_and_shows_the_format_its_help_names():
    from datetime import date

    html = str(_DateForm(initial={"day": date(2026, 3, 14)})["day"])
    assert 'type="text"' in html and 'type="date"' not in html
    assert 'placeholder="YYYY-MM-DD"' in html and 'value="2026-03-14"' in html
    with translation.override("ko"):
        form = _DateForm(data={"day": "2026-03-14"})
        assert form.is_valid() and form.cleaned_data["day"] == date(2026, 3, 14)
        rendered = str(form)
    assert "YYYY-MM-DD" in rendered
