"""The Certification Index as versions: staff copy an index (a deep copy, the original
untouched) and edit the copy within the index's rules; an index assessed against is frozen;
a round picks an index of its kind; every change logged; the list page in constant queries."""

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django_fsm_log.models import StateLog

from competitions.lifecycle import TransitionRefused
from smartcity import certification_versions as versions
from smartcity.forms_certification import RoundForm
from smartcity.models import CertificationIndex, CertificationRound, IndexCategory, IndexItem
from tests.factories import StaffFactory, UserFactory

from .certification_world import certified, service_round

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(role_groups):
    return StaffFactory()


@pytest.fixture
def service_index(db):
    return CertificationIndex.objects.get(kind="service")


def snapshot(index):
    """Everything an index holds, to compare before and after."""
    index = CertificationIndex.objects.get(pk=index.pk)
    return (
        (index.kind, index.name, index.name_ko, index.overall_threshold),
        [
            (
                c.name,
                c.name_ko,
                c.position,
                c.pass_threshold,
                [(i.name, i.name_ko, i.position, i.max_points) for i in c.items.all()],
            )
            for c in index.categories.all()
        ],
    )


def parts(index):
    categories = list(index.categories.all())
    return categories, [list(c.items.all()) for c in categories]


def revise(index, staff, **changes):
    values = {"name": index.name, "name_ko": index.name_ko, "overall_threshold": index.overall_threshold}
    values.update(changes)
    return versions.revise_index(index, by=staff, **values)


# --- Copying ----------------------------------------------------------------------------------


def test_a_copy_is_deep_and_the_original_untouched(staff, service_index):
    before = snapshot(service_index)
    copy = versions.copy_index(service_index, by=staff)
    assert copy.pk != service_index.pk and copy.kind == "service"
    assert copy.name == f"{service_index.name} (new version)"
    assert copy.name_ko == f"{service_index.name_ko} (새 버전)"
    copied, original = snapshot(copy), snapshot(service_index)
    assert original == before
    assert copied[1] == original[1] and copied[0][3] == original[0][3]
    # New rows, not shared ones.
    assert not set(IndexCategory.objects.filter(index=copy).values_list("pk", flat=True)) & set(
        IndexCategory.objects.filter(index=service_index).values_list("pk", flat=True)
    )
    assert IndexItem.objects.filter(category__index=copy).count() == 9
    # Editing the copy leaves the original as it was.
    categories, items = parts(copy)
    revise(copy, staff, items={items[0][0].pk: {"max_points": 15}})
    assert snapshot(service_index) == before
    logged = StateLog.objects.filter(transition="copy_index", by=staff)
    assert {entry.object_id for entry in logged} == {copy.pk, service_index.pk}


def test_only_staff_copy_or_edit(service_index):
    someone = UserFactory()
    with pytest.raises(PermissionDenied):
        versions.copy_index(service_index, by=someone)
    with pytest.raises(PermissionDenied):
        revise(service_index, someone, overall_threshold=60)
    assert CertificationIndex.objects.count() == 2


# --- The rules --------------------------------------------------------------------------------


def test_a_valid_edit_is_saved_and_logged_with_what_changed(staff, service_index):
    copy = versions.copy_index(service_index, by=staff)
    categories, items = parts(copy)
    revise(
        copy,
        staff,
        name="Smart City Certification Index (services) 2027",
        name_ko="스마트도시 인증 지표(서비스) 2027",
        overall_threshold=75,
        categories={categories[0].pk: {"name": "Service", "name_ko": "서비스", "pass_threshold": 30}},
        items={
            items[0][0].pk: {"name": "Function", "name_ko": "기능", "max_points": 25, "remove": False},
            items[1][2].pk: {"remove": True},
        },
    )
    copy = CertificationIndex.objects.get(pk=copy.pk)
    assert copy.name.endswith("2027") and copy.overall_threshold == 75
    categories, items = parts(copy)
    assert (categories[0].name, categories[0].name_ko, categories[0].pass_threshold) == (
        "Service",
        "서비스",
        30,
    )
    assert (items[0][0].name, items[0][0].max_points) == ("Function", 25)
    assert len(items[1]) == 2 and copy.max_points == 100 + 5 - 10
    log = StateLog.objects.get(object_id=copy.pk, transition="revise_index")
    assert log.by == staff
    assert "20 → 25" in log.description and "70 → 75" in log.description and "removed" in log.description


def test_a_sub_category_is_added_after_the_categorys_last_and_logged(staff, service_index):
    copy = versions.copy_index(service_index, by=staff)
    categories, items = parts(copy)
    total = copy.max_points
    revise(
        copy,
        staff,
        overall_threshold=80,
        new_items={
            categories[2].pk: [
                {"name": "Data openness", "name_ko": "데이터 개방", "max_points": 6},
                {"name": "Reuse", "name_ko": "", "max_points": 4},
            ]
        },
    )
    copy = CertificationIndex.objects.get(pk=copy.pk)
    _categories, after = parts(copy)
    assert after[:2] == items[:2]
    assert after[2][: len(items[2])] == items[2]
    added = after[2][len(items[2]) :]
    assert [(i.name, i.name_ko, i.max_points) for i in added] == [
        ("Data openness", "데이터 개방", 6),
        ("Reuse", "", 4),
    ]
    assert [i.position for i in added] == [items[2][-1].position + 1, items[2][-1].position + 2]
    assert copy.max_points == total + 10 and copy.overall_threshold == 80
    log = StateLog.objects.get(object_id=copy.pk, transition="revise_index")
    assert (
        "Data openness: added (6 points)" in log.description and "Reuse: added (4 points)" in log.description
    )


@pytest.mark.parametrize(
    "new_item, message",
    [
        ({"name": "Nameless?", "max_points": 0}, "worth at least 1 point"),
        ({"name": " ", "max_points": 3}, "name in English"),
    ],
)
def test_a_sub_category_that_breaks_a_rule_is_not_added(staff, service_index, new_item, message):
    copy = versions.copy_index(service_index, by=staff)
    categories, _items = parts(copy)
    before = snapshot(copy)
    with pytest.raises(TransitionRefused) as refused:
        revise(copy, staff, new_items={categories[0].pk: [new_item]})
    assert any(message in reason for reason in refused.value.reasons), refused.value.reasons
    assert snapshot(copy) == before


def test_a_sub_category_is_not_added_to_a_category_of_another_index(staff, service_index):
    copy = versions.copy_index(service_index, by=staff)
    categories, _items = parts(service_index)
    before = snapshot(service_index)
    with pytest.raises(TransitionRefused, match="not part of this index"):
        revise(copy, staff, new_items={categories[0].pk: [{"name": "X", "max_points": 1}]})
    assert snapshot(service_index) == before


@pytest.mark.parametrize(
    "change, message",
    [
        ("threshold_above_category", "above the category's 40 points"),
        ("overall_above_total", "above the index's 100 points in total"),
        ("empty_category", "keep at least one sub-category"),
        ("zero_points", "worth at least 1 point"),
        ("blank_name", "name in English"),
    ],
)
def test_each_rule_refuses_with_its_reason_and_saves_nothing(staff, service_index, change, message):
    copy = versions.copy_index(service_index, by=staff)
    categories, items = parts(copy)
    before = snapshot(copy)
    # A harmless change alongside the bad one: it is not saved either.
    kwargs = {"categories": {categories[2].pk: {"name": "Changed", "name_ko": "", "pass_threshold": 10}}}
    if change == "threshold_above_category":
        kwargs["categories"][categories[0].pk] = {"pass_threshold": 41}
    elif change == "overall_above_total":
        kwargs["overall_threshold"] = 101
    elif change == "empty_category":
        kwargs["items"] = {item.pk: {"remove": True} for item in items[1]}
    elif change == "zero_points":
        kwargs["items"] = {items[0][1].pk: {"max_points": 0}}
    elif change == "blank_name":
        kwargs["name"] = "  "
    with pytest.raises(TransitionRefused) as refused:
        revise(copy, staff, **kwargs)
    assert any(message in reason for reason in refused.value.reasons), refused.value.reasons
    assert snapshot(copy) == before
    assert not StateLog.objects.filter(object_id=copy.pk, transition="revise_index").exists()


def test_the_rule_function_lists_every_problem():
    drafts = [
        versions.CategoryDraft("Service", 30, [versions.ItemDraft("A", 10), versions.ItemDraft("B", 0)]),
        versions.CategoryDraft("Innovation", 5, []),
    ]
    problems = versions.index_problems("Index", 50, drafts)
    assert problems == [
        "Service · B: a sub-category is worth at least 1 point.",
        "Service: the threshold of 30 is above the category's 10 points.",
        "Innovation: keep at least one sub-category.",
        "Innovation: the threshold of 5 is above the category's 0 points.",
        "The overall threshold of 50 is above the index's 10 points in total.",
    ]
    fine = [versions.CategoryDraft("Service", 10, [versions.ItemDraft("A", 10)])]
    assert versions.index_problems("Index", 10, fine) == []


def test_a_category_or_item_of_another_index_is_refused(staff, service_index):
    copy = versions.copy_index(service_index, by=staff)
    _categories, items = parts(service_index)
    with pytest.raises(TransitionRefused, match="not part of this index"):
        revise(copy, staff, items={items[0][0].pk: {"max_points": 1}})


# --- Frozen -----------------------------------------------------------------------------------


def test_an_index_assessed_against_is_frozen_but_can_be_copied(staff, service_index):
    round = service_round(staff, min_assessors=1)
    assert not versions.is_frozen(service_index)
    certified(round, staff, UserFactory())
    assert versions.is_frozen(service_index)
    before = snapshot(service_index)
    with pytest.raises(TransitionRefused, match="can no longer be edited"):
        revise(service_index, staff, overall_threshold=60)
    assert snapshot(service_index) == before
    copy = versions.copy_index(service_index, by=staff)
    assert not versions.is_frozen(copy)
    revise(copy, staff, overall_threshold=60)
    assert CertificationIndex.objects.get(pk=copy.pk).overall_threshold == 60


def test_assessors_assigned_but_nothing_submitted_does_not_freeze(staff, service_index):
    from smartcity import certification

    from .certification_world import apply_for_service, reviewer

    application = apply_for_service(service_round(staff), UserFactory())
    certification.assign_assessors(application, [reviewer()], by=staff)
    assert not versions.is_frozen(service_index)


# --- Rounds pick an index of their kind ---------------------------------------------------------


def round_data(**extra):
    data = {"kind": "service", "name": "Round", "name_ko": "회차", "validity_years": 3, "min_assessors": 1}
    data.update(extra)
    return data


def test_a_round_picks_an_index_of_its_kind(staff, service_index):
    copy = versions.copy_index(service_index, by=staff)
    city = CertificationIndex.objects.get(kind="city")
    form = RoundForm(round_data(index=city.pk))
    assert not form.is_valid() and form.errors["index"] == ["Choose an index of the round's kind."]
    form = RoundForm(round_data(index=service_index.pk))
    assert form.is_valid(), form.errors
    assert form.save(commit=False).index == service_index
    # None chosen: the latest of the kind.
    form = RoundForm(round_data())
    assert form.is_valid(), form.errors
    assert form.save(commit=False).index == copy


# --- Pages ------------------------------------------------------------------------------------


def test_the_list_page_keeps_its_queries_constant(
    client, staff, service_index, django_assert_max_num_queries
):
    client.force_login(staff)
    url = reverse("smartcity:certification_indexes")
    client.get(url)  # warm the session and caches
    with django_assert_max_num_queries(12) as small:
        first = client.get(url)
    assert first.status_code == 200
    for _n in range(4):
        copy = versions.copy_index(service_index, by=staff)
        CertificationRound.objects.create(
            kind="service", index=copy, name="R", name_ko="회", created_by=staff
        )
    certified(service_round(staff, min_assessors=1), staff, UserFactory())
    with django_assert_max_num_queries(len(small.captured_queries)) as large:
        page = client.get(url)
    assert len(large.captured_queries) == len(small.captured_queries)
    content = page.content.decode()
    assert content.count("Copy as a new version") >= 6
    assert "Assessed against" in content


def test_the_edit_page_saves_through_its_formsets(client, staff, service_index):
    copy = versions.copy_index(service_index, by=staff)
    categories, items = parts(copy)
    client.force_login(staff)
    url = reverse("smartcity:certification_index_edit", args=[copy.pk])
    page = client.get(url)
    assert page.status_code == 200
    data = {
        "index-name": "Services 2027",
        "index-name_ko": "서비스 2027",
        "index-overall_threshold": "72",
        "categories-TOTAL_FORMS": str(len(categories)),
        "categories-INITIAL_FORMS": str(len(categories)),
        "items-TOTAL_FORMS": str(sum(len(i) for i in items)),
        "items-INITIAL_FORMS": str(sum(len(i) for i in items)),
        "new-TOTAL_FORMS": str(len(categories)),
        "new-INITIAL_FORMS": str(len(categories)),
    }
    for n, category in enumerate(categories):
        data.update(
            {
                f"new-{n}-category": category.pk,
                f"categories-{n}-id": category.pk,
                f"categories-{n}-name": category.name,
                f"categories-{n}-name_ko": category.name_ko,
                f"categories-{n}-pass_threshold": category.pass_threshold,
            }
        )
    for n, item in enumerate(i for group in items for i in group):
        data.update(
            {
                f"items-{n}-id": item.pk,
                f"items-{n}-name": item.name,
                f"items-{n}-name_ko": item.name_ko,
                f"items-{n}-max_points": item.max_points,
            }
        )
    bad = dict(data, **{"categories-0-pass_threshold": "45"})
    response = client.post(url, bad)
    assert response.status_code == 200
    assert "above the category&#x27;s 40 points" in response.content.decode()
    assert CertificationIndex.objects.get(pk=copy.pk).name != "Services 2027"
    # Points for a new sub-category without its name: refused, nothing saved.
    nameless = dict(data, **{"new-1-max_points": "5"})
    response = client.post(url, nameless)
    assert response.status_code == 200
    assert "Give the new sub-category&#x27;s name in English." in response.content.decode()
    assert CertificationIndex.objects.get(pk=copy.pk).name != "Services 2027"
    added = dict(data, **{"new-1-name": "Openness", "new-1-name_ko": "개방성", "new-1-max_points": "5"})
    response = client.post(url, added)
    assert response.status_code == 302
    copy = CertificationIndex.objects.get(pk=copy.pk)
    assert (copy.name, copy.overall_threshold) == ("Services 2027", 72)
    _categories, after = parts(copy)
    assert [(i.name, i.name_ko, i.max_points) for i in after[1]][-1] == ("Openness", "개방성", 5)
    assert [len(group) for group in after] == [len(group) + (n == 1) for n, group in enumerate(items)]
    page = client.get(url).content.decode()
    assert page.count('name="new-') >= 4 * len(categories)  # an empty one a category again


def test_the_edit_page_of_a_frozen_index_offers_only_a_copy(client, staff, service_index):
    certified(service_round(staff, min_assessors=1), staff, UserFactory())
    client.force_login(staff)
    url = reverse("smartcity:certification_index_edit", args=[service_index.pk])
    page = client.get(url).content.decode()
    assert "can no longer be edited" in page and 'name="index-name"' not in page
    response = client.post(url, {"index-name": "x"}, follow=True)
    assert "can no longer be edited; copy it" in response.content.decode()
    assert CertificationIndex.objects.get(pk=service_index.pk).name != "x"
    copied = client.post(reverse("smartcity:certification_index_copy", args=[service_index.pk]))
    copy = CertificationIndex.objects.order_by("-pk").first()
    assert copied["Location"] == reverse("smartcity:certification_index_edit", args=[copy.pk])
