"""Setting up a call like a person (issue 15): eligibility rules with a form for their kind,
unknown codes refused, tracks limited to the call's, a minimum number of awards, districts and
the tier of local governments."""

from dataclasses import replace
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from competitions import eligibility_rules
from competitions.eligibility import evaluate, validate_params
from competitions.lifecycle import TransitionRefused
from competitions.models import (
    CallState,
    District,
    EligibilityRule,
    GovernmentLevel,
    Question,
    QuestionSection,
    Region,
)
from tests.competitions.test_eligibility import make_facts, party
from tests.factories import CallFactory, OrganisationFactory, TrackFactory


def test_a_typo_in_a_document_kind_is_refused():
    with pytest.raises(ValidationError, match="unknown code “proposl”"):
        validate_params("required_documents", {"kinds": ["proposl"]})
    assert validate_params("required_documents", {"kinds": ["proposal", "business_registration"]})


def test_unknown_organisation_kind_and_size_class_are_refused():
    with pytest.raises(ValidationError):
        validate_params("allowed_applicants", {"kinds": ["compnay"]})
    with pytest.raises(ValidationError):
        validate_params("allowed_applicants", {"size_classes": ["smee"]})
    with pytest.raises(ValidationError):
        validate_params("lead_government_level", {"levels": ["county"]})


@pytest.mark.django_db
def test_a_rule_cannot_name_another_calls_track():
    call, other = CallFactory(), CallFactory()
    foreign = TrackFactory(call=other)
    rule = EligibilityRule(call=call, track=foreign, kind="lead_is_sme", params={})
    with pytest.raises(ValidationError, match="same call"):
        rule.full_clean()


def test_the_lead_local_government_must_be_a_basic_one():
    basic = make_facts(lead=replace(party(kind="local_government", lead=True), government_level="basic"))
    metropolitan = make_facts(
        lead=replace(party(kind="local_government", lead=True), government_level="metropolitan")
    )
    company = make_facts()
    configured = [("lead_government_level", {"levels": ["basic"]})]
    assert evaluate(configured, basic)[0].passed
    refused = evaluate(configured, metropolitan)[0]
    assert not refused.passed and "metropolitan local government" in refused.reason
    assert not evaluate(configured, company)[0].passed


# --- The staff's eligibility page --------------------------------------------------------------


@pytest.fixture
def call_with_tracks(draft_call):
    other = CallFactory()
    TrackFactory(call=other, name="Someone else's track")
    section = QuestionSection.objects.create(call=draft_call, title="Test bed")
    Question.objects.create(
        call=draft_call,
        section=section,
        code="site",
        kind="single_choice",
        label="Kind of site",
        choices=[{"code": "1", "label": "City"}, {"code": "2", "label": "County"}],
    )
    return draft_call


def page(call):
    return reverse("competitions:eligibility_rules", args=[call.slug])


def test_the_form_shows_fields_for_the_kind_and_only_the_calls_tracks(staff_client, call_with_tracks):
    response = staff_client.get(page(call_with_tracks) + "?kind=required_documents")
    text = response.content.decode()
    assert response.status_code == 200
    assert 'type="checkbox" name="kinds" value="business_registration"' in text
    assert "Business registration" in text or "business registration certificate" in text
    assert "Someone else" not in text
    assert "params" not in response.context["form"].fields


def test_staff_add_a_rule_with_the_form(staff_client, staff_user, call_with_tracks):
    track = call_with_tracks.tracks.get()
    response = staff_client.post(
        page(call_with_tracks) + "?kind=allowed_applicants",
        {"action": "save", "track": track.pk, "kinds": ["company", "university"], "size_classes": ["sme"]},
    )
    assert response.status_code == 302
    rule = EligibilityRule.objects.get(call=call_with_tracks)
    assert rule.params == {"kinds": ["company", "university"], "size_classes": ["sme"]}
    assert rule.track == track
    from django.contrib.admin.models import LogEntry

    assert LogEntry.objects.filter(user=staff_user, object_id=str(rule.pk)).exists()


def test_percent_by_size_class_and_bounds(staff_client, call_with_tracks):
    url = page(call_with_tracks) + "?kind=matching_funds"
    data = {
        "action": "save",
        "government_share_max__sme": "75",
        "government_share_max__mid": "70",
        "government_share_max__large": "50",
        "cash_min_of_private__sme": "10",
        "cash_min_of_private__mid": "13",
        "cash_min_of_private__large": "15.5",
    }
    assert staff_client.post(url, data).status_code == 302
    rule = EligibilityRule.objects.get(call=call_with_tracks)
    assert rule.params["government_share_max"] == {"sme": 75, "mid": 70, "large": 50}
    assert rule.params["cash_min_of_private"]["large"] == 15.5
    response = staff_client.post(url, {**data, "government_share_max__sme": "175"})
    assert response.status_code == 200
    assert EligibilityRule.objects.filter(call=call_with_tracks).count() == 1
    assert response.context["form"].data["government_share_max__sme"] == "175"  # kept as typed


def test_a_forged_unknown_code_or_foreign_track_is_refused(staff_client, call_with_tracks):
    foreign = TrackFactory(call=CallFactory())
    url = page(call_with_tracks) + "?kind=required_documents"
    response = staff_client.post(url, {"action": "save", "kinds": ["proposl"]})
    assert response.status_code == 200
    response = staff_client.post(url, {"action": "save", "kinds": ["proposal"], "track": foreign.pk})
    assert response.status_code == 200
    assert not EligibilityRule.objects.filter(call=call_with_tracks).exists()


def test_a_question_rule_picks_the_calls_question_and_its_choices(staff_client, call_with_tracks):
    url = page(call_with_tracks) + "?kind=question_answer"
    response = staff_client.post(
        url, {"action": "save", "question": "site", "condition": "in_choices", "choices": ["site:2"]}
    )
    assert response.status_code == 302
    rule = EligibilityRule.objects.get(call=call_with_tracks)
    assert rule.params["question"] == "site" and rule.params["choices"] == ["2"]


def test_rules_of_a_published_call_are_frozen(staff_client, staff_user):
    call = CallFactory(state=CallState.PUBLISHED)
    TrackFactory(call=call)
    rule = EligibilityRule.objects.create(call=call, kind="lead_is_sme", params={})
    with pytest.raises(TransitionRefused, match="announced"):
        eligibility_rules.delete_rule(rule, by=staff_user)
    response = staff_client.post(page(call), {"action": "delete", "pk": rule.pk}, follow=True)
    assert EligibilityRule.objects.filter(pk=rule.pk).exists()
    assert "announced" in response.content.decode()
    response = staff_client.post(page(call) + "?kind=lead_is_sme", {"action": "save"}, follow=True)
    assert EligibilityRule.objects.filter(call=call).count() == 1


def test_the_page_is_for_staff_only(client, applicant_user, draft_call):
    client.force_login(applicant_user)
    assert client.get(page(draft_call)).status_code == 403


def test_the_page_is_in_korean(staff_client, call_with_tracks):
    response = staff_client.get(
        page(call_with_tracks) + "?kind=lead_government_level", HTTP_ACCEPT_LANGUAGE="ko"
    )
    text = response.content.decode()
    assert "신청 자격 규칙" in text
    assert "기초자치단체" in text


# --- Minimum awards, districts, tiers ----------------------------------------------------------


@pytest.mark.django_db
def test_the_minimum_cannot_exceed_the_maximum():
    call = CallFactory.build(programme=CallFactory().programme, slug="x-min", min_awards=20, max_awards=14)
    with pytest.raises(ValidationError) as caught:
        call.full_clean()
    assert "min_awards" in caught.value.message_dict


@pytest.mark.django_db
def test_districts_are_loaded_and_a_basic_local_government_names_one():
    busan = Region.objects.get(slug="busan")
    haeundae = District.objects.get(region=busan, name="Haeundae-gu")
    assert haeundae.name_ko == "해운대구" and haeundae.level == "gu"
    seoul_gu = District.objects.get(region__slug="seoul", name="Mapo-gu")
    basic = OrganisationFactory.build(
        kind="local_government", government_level=GovernmentLevel.BASIC, district=haeundae, region=busan
    )
    basic.full_clean()
    with pytest.raises(ValidationError, match="district"):
        OrganisationFactory.build(
            kind="local_government", government_level="basic", region=busan
        ).full_clean()
    with pytest.raises(ValidationError, match="not in the chosen region"):
        OrganisationFactory.build(
            kind="local_government", government_level="basic", district=seoul_gu, region=busan
        ).full_clean()
    with pytest.raises(ValidationError, match="metropolitan or a basic"):
        OrganisationFactory.build(kind="local_government", region=busan).full_clean()
    with pytest.raises(ValidationError, match="Only a local government"):
        OrganisationFactory.build(kind="company", government_level="basic", region=busan).full_clean()
    assert basic.government_level_code == "basic"


@pytest.mark.django_db
def test_a_test_bed_district_lies_in_the_test_bed_region():
    from tests.factories import ApplicationFactory

    application = ApplicationFactory()
    application.test_bed_region = Region.objects.get(slug="busan")
    application.test_bed_district = District.objects.get(region__slug="seoul", name="Mapo-gu")
    with pytest.raises(ValidationError) as caught:
        application.full_clean(exclude=["created_by"])
    assert "test_bed_district" in caught.value.message_dict
    application.test_bed_district = District.objects.get(region__slug="busan", name="Gijang-gun")
    application.full_clean(exclude=["created_by"])


@pytest.mark.django_db
def test_the_tier_reaches_the_eligibility_rules():
    from projects.eligibility_check import check_eligibility
    from tests.factories import ApplicationFactory

    busan = Region.objects.get(slug="busan")
    county = OrganisationFactory(
        kind="local_government",
        size_class="public",
        government_level="basic",
        district=District.objects.get(region=busan, name="Gijang-gun"),
    )
    application = ApplicationFactory(lead=county)
    EligibilityRule.objects.create(
        call=application.call, kind="lead_government_level", params={"levels": ["basic"]}
    )
    results = {r.kind: r for r in check_eligibility(application)}
    assert results["lead_government_level"].passed
    EligibilityRule.objects.filter(call=application.call).update(params={"levels": ["metropolitan"]})
    results = {r.kind: r for r in check_eligibility(application)}
    assert not results["lead_government_level"].passed


_ = timedelta, timezone
