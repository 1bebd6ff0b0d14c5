"""Forms that forgive: a refused review form keeps everything the reviewer typed, with each
refusal beside the score it concerns."""

import lxml.html
import pytest
from django.urls import reverse

from evaluation.models import Assignment, Criterion, Review
from tests.factories import cleared_to_score

pytestmark = pytest.mark.django_db


def test_one_out_of_range_score_keeps_every_other_score_and_comment(client, call, assigned):
    assignment = cleared_to_score(Assignment.objects.filter(application=assigned[0]).first())
    client.force_login(assignment.reviewer.user)
    criteria = list(Criterion.objects.filter(plan__call=call))
    bad = criteria[1]
    data = {"action": "submit", "comment": "Solid consortium, thin budget."}
    for n, criterion in enumerate(criteria):
        data[f"points-{criterion.pk}"] = str(criterion.max_points + 5) if criterion == bad else f"{n + 3}.5"
        data[f"comment-{criterion.pk}"] = f"Remark {n} on {criterion.pk}"
    response = client.post(reverse("evaluation:review_form", args=[assignment.pk]), data)
    assert response.status_code == 200
    page = response.content.decode()
    for n, criterion in enumerate(criteria):
        assert f'name="points-{criterion.pk}" value="{data[f"points-{criterion.pk}"]}"' in page
        assert f"Remark {n} on {criterion.pk}</textarea>" in page
    assert "Solid consortium, thin budget.</textarea>" in page
    # The error sits beside the bad score (and only there), and nothing was saved.
    expected = f"{bad.display_name}: enter a number from 0 to {bad.max_points.normalize():f}."
    assert f'<p class="form-hint-invalid" id="points-{bad.pk}-error">{expected}</p>' in page
    assert page.count('class="form-hint-invalid"') == 1
    assert not Review.objects.filter(assignment=assignment).exists()
    # The error summary at the top of the page names it too and links to the score's input; the
    # title says there was an error.
    tree = lxml.html.fromstring(page)
    assert tree.findtext(".//title").strip().startswith("Error:")
    (link,) = tree.get_element_by_id("gongmo-error-summary").xpath(".//li/a")
    assert link.get("href") == f"#points-{bad.pk}" and link.text_content() == expected
    assert tree.get_element_by_id(f"points-{bad.pk}").tag == "input"


def test_a_saved_draft_shows_its_scores_again(client, call, assigned):
    assignment = cleared_to_score(Assignment.objects.filter(application=assigned[0]).first())
    client.force_login(assignment.reviewer.user)
    first = Criterion.objects.filter(plan__call=call).first()
    url = reverse("evaluation:review_form", args=[assignment.pk])
    client.post(
        url,
        {"action": "save", f"points-{first.pk}": "12.50", f"comment-{first.pk}": "ok", "comment": "So far"},
    )
    page = client.get(url).content.decode()
    assert f'name="points-{first.pk}" value="12.5"' in page
    assert "So far</textarea>" in page
