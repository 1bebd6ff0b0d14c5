"""Journey 5 (issue 14's "Done when"): the 2022 pilot-city call run end to end in the browser as
document review then presentation (30:70) with 14 places: staff configure the stages, invite
the committee by e-mail, build a panel per stage, confirm eligibility and assign; a reviewer
accepts the invitation, signs the pledge, declares no conflict and scores; staff record and
confirm the advancement, schedule the presentations, a reviewer scores on the schedule page,
staff run and publish the selection; an applicant reads its result letter."""

import re
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal

import pytest
from django.core import mail
from django.utils import timezone

from accounts.roles import Role
from competitions.formatting import SEOUL
from evaluation.models import Assignment, Reviewer, Score, Stage
from projects.models import Application, OutboxMessage

from . import scenarios, staged_scenario
from .support import Journey, follow

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

SLUG = staged_scenario.SLUG
COMMITTEE = [
    ("Kim Minjun", "minjun.kim@korea-university.example"),
    ("Lee Seoyeon", "seoyeon.lee@pusan-university.example"),
    ("Park Doyun", "doyun.park@kaist.example"),
    ("Choi Jiwoo", "jiwoo.choi@sejong-university.example"),
]
PASSWORD = "Gongmo-committee-2022!"


def _fill_stage(page, *, kind, name, name_ko, weight, reviews, minimum, cutoff, advancement, count=""):
    page.locator("#id_stage-kind").select_option(kind)
    page.locator("#id_stage-name").fill(name)
    page.locator("#id_stage-name_ko").fill(name_ko)
    page.locator("#id_stage-weight").fill(weight)
    page.locator("#id_stage-reviews_per_application").fill(reviews)
    page.locator("#id_stage-minimum_reviews").fill(minimum)
    page.locator("#id_stage-cutoff").fill(cutoff)
    page.locator("#id_stage-advancement").select_option(advancement)
    page.locator("#id_stage-advance_count").fill(count)
    follow(page, page.locator("button[name=action][value=add_stage]"))


def _messages(page):
    return page.locator(".gongmo-messages").inner_text()


def test_staged_call_from_committee_to_result_letters(demo, new_page, lang):
    call, applications = staged_scenario.staged_call()
    quality = staged_scenario.quality_of(applications)
    staff_page = new_page()
    staff = Journey(staff_page, lang, "staged-staff")
    staff.log_in("staff@gongmo.example", scenarios.demo_password(Role.STAFF))
    page = staff_page

    # 1. The stages: document review 30 %, the top 4 of each field advance; presentation 70 %.
    staff.goto(f"/staff/calls/{SLUG}/stages/", "stages-empty")
    _fill_stage(
        page,
        kind="document",
        name="Document review",
        name_ko="서면평가",
        weight="30",
        reviews="3",
        minimum="3",
        cutoff="60",
        advancement="top_n",
        count="4",
    )
    assert "서면평가" in _messages(page) or "Document review" in _messages(page)
    _fill_stage(
        page,
        kind="presentation",
        name="Presentation evaluation",
        name_ko="발표평가",
        weight="70",
        reviews="3",
        minimum="3",
        cutoff="70",
        advancement="cutoff",
    )
    document, presentation = Stage.objects.filter(plan__call=call).order_by("position")
    assert (document.weight, document.advancement, document.advance_count) == (30, "top_n", 4)
    assert (presentation.weight, presentation.cutoff) == (70, 70)
    # The document review took over the call's five criteria; the presentation has none yet.
    assert document.criteria.count() == 5 and presentation.criteria.count() == 0
    for name, name_ko, max_points in [
        ("Presentation and answers", "발표 및 질의응답", "40"),
        ("Feasibility of the demonstration", "실증 실현 가능성", "35"),
        ("Commitment of the team", "추진 의지", "25"),
    ]:
        prefix = f"#id_criterion-{presentation.pk}"
        page.locator(f"details:has({prefix}-name) summary").click()
        page.locator(f"{prefix}-name").fill(name)
        page.locator(f"{prefix}-name_ko").fill(name_ko)
        page.locator(f"{prefix}-max_points").fill(max_points)
        follow(page, page.locator(f"form:has({prefix}-name) button[name=action]"))
    assert presentation.criteria.count() == 3
    page.locator("#id_plan-final_score").select_option("weighted")
    follow(page, page.locator("button[name=action][value=final_score]"))
    call.evaluation_plan.refresh_from_db()
    assert call.evaluation_plan.final_score == "weighted"
    assert page.locator(".krds-info-box").count() == 0, page.locator(".krds-info-box").inner_text()
    staff.step("stages-configured")

    # 2. The committee: four professors invited by e-mail.
    mail.outbox.clear()
    staff.goto("/staff/reviewers/", "pool")
    for name, email in COMMITTEE:
        page.locator("#id_name").fill(name)
        page.locator("#id_email").fill(email)
        follow(page, page.locator("form:has(#id_email) button[type=submit]"))
        assert email in _messages(page)
    staff.step("pool-invited")
    reviewers = [Reviewer.objects.get(user__email=email) for _name, email in COMMITTEE]

    # 3. The first professor opens the link in the invitation e-mail and sets a password.
    body = OutboxMessage.objects.filter(to=COMMITTEE[0][1]).latest("pk").body
    link = re.search(r"https?://\S+/review/welcome/\S+/", body).group(0)
    reviewer_page = new_page()
    professor = Journey(reviewer_page, lang, "staged-reviewer")
    professor.goto(link, "invitation")
    reviewer_page.locator("#id_new_password1").fill(PASSWORD)
    reviewer_page.locator("#id_new_password2").fill(PASSWORD)
    follow(reviewer_page, reviewer_page.locator("main form button[type=submit]"))
    reviewer_page.wait_for_url(re.compile(r"/review/$"))
    assert reviewer_page.locator("form[action$='/accounts/logout/']").count() == 1
    professor.step("welcome")

    # 4. A panel per stage: the four on the document review, the first three presenting.
    staff.goto(f"/staff/calls/{SLUG}/panels/", "panels-empty")
    for name, stage in [("서면평가 위원회", document), ("발표평가 위원회", presentation)]:
        page.locator("#panel-name").fill(name)
        page.locator("#panel-stage").select_option(str(stage.pk))
        follow(page, page.locator("form:has(#panel-name) button[type=submit]"))
        assert name in _messages(page)
    for panel_name, members in [("서면평가 위원회", reviewers), ("발표평가 위원회", reviewers[:3])]:
        for reviewer in members:
            page.locator(f"label[for=r-{reviewer.pk}]").click()
        page.locator("#add-panel").select_option(label=panel_name)
        follow(page, page.locator("form:has(#add-panel) button[type=submit]"))
        assert panel_name in _messages(page)
    assert set(document.panels.get().reviewers.all()) == set(reviewers)
    assert set(presentation.panels.get().reviewers.all()) == set(reviewers[:3])
    staff.step("panels")

    # 5. Eligibility confirmed for every application from the queue.
    staff.goto(f"/staff/eligibility/?call={SLUG}&state=submitted", "queue")
    for application in applications:
        page.locator(f"label[for=sel-{application.pk}]").click()
    follow(page, page.locator("button[name=action][value=confirm]"))
    assert set(Application.objects.filter(call=call).values_list("state", flat=True)) == {"eligible"}

    # 6. Reviewers assigned for the document review from the evaluation page.
    staff.goto(f"/staff/calls/{SLUG}/evaluation/", "evaluation-before")
    follow(page, page.locator(f"form[action$='/{SLUG}/evaluation/assign/'] button"))
    assert f"{len(applications) * 3}" in _messages(page)
    assert Assignment.objects.filter(stage=document, state="active").count() == len(applications) * 3
    staff.step("assigned")

    # 7. The professor signs the pledge, declares no conflict and scores one application.
    mine = Assignment.objects.filter(stage=document, reviewer=reviewers[0]).order_by("application__reference")
    first = mine.first()
    professor.goto("/review/", "my-reviews")
    follow(reviewer_page, reviewer_page.locator(f"a[href='/review/{first.pk}/']").first)
    professor.step("review-pledge")
    reviewer_page.locator("label[for=pledge-agree]").click()
    reviewer_page.locator("#pledge-name").fill(COMMITTEE[0][0])
    follow(reviewer_page, reviewer_page.locator("form:has(#pledge-agree) button[type=submit]"))
    follow(reviewer_page, reviewer_page.locator("button[name=action][value=no_conflict]"))
    professor.step("review-declared")
    level = quality[first.application_id]
    for criterion in document.criteria.all():
        reviewer_page.locator(f"#points-{criterion.pk}").fill(staged_scenario.points(criterion, level, 0))
    reviewer_page.locator("#comment").fill(
        "실증 계획이 구체적입니다." if lang == "ko" else "A concrete plan."
    )
    follow(reviewer_page, reviewer_page.locator("button[name=action][value=submit]"))
    professor.step("review-submitted")
    first.refresh_from_db()
    assert first.review.submitted_at is not None

    # The rest of the committee scores the other reviews (the same functions the form calls).
    staged_scenario.score_rest(call, document, quality, skip=[first.pk])

    # 8. Staff close the review, record the advancement run, check it and confirm it.
    staff.goto(f"/staff/calls/{SLUG}/evaluation/", "evaluation-scored")
    follow(page, page.locator(f"form[action$='/{SLUG}/evaluation/close/'] button"))
    staff.goto(f"/staff/calls/{SLUG}/stages/", "stages-scored")
    follow(page, page.locator(f"form:has(input[name=stage][value='{document.pk}']) button[value=record]"))
    staff.step("advancement-recorded")
    follow(page, page.locator("button[name=action][value=confirm]"))
    staff.step("advancement-confirmed")
    run = document.advancement_runs.get()
    advanced = list(run.results.filter(outcome="advanced").values_list("application_id", flat=True))
    assert run.confirmed_at is not None
    assert 0 < len(advanced) < len(applications)
    assert len(advanced) <= 4 * call.service_fields.count()

    # 9. The presentation: reviewers assigned from the presentation panel, then the slots of the
    # presentation day, the advancing applicants placed (and told) automatically.
    staff.goto(f"/staff/calls/{SLUG}/evaluation/", "evaluation-presentation")
    follow(page, page.locator(f"form[action$='/{SLUG}/evaluation/assign/'] button"))
    assert Assignment.objects.filter(stage=presentation, state="active").count() == len(advanced) * 3
    follow(page, page.locator(f"a[href='/staff/calls/{SLUG}/stages/']"))
    follow(page, page.locator(f"a[href='/staff/calls/{SLUG}/stages/{presentation.pk}/schedule/']"))
    staff.step("schedule-empty")
    day = (timezone.now().astimezone(SEOUL) + timedelta(days=7)).date()
    page.locator("#panel").select_option(label="발표평가 위원회")
    page.locator("#day").fill(day.isoformat())
    page.locator("#start").fill("09:00")
    page.locator("#until").fill("17:00")
    page.locator("#room").fill("세종 정부청사 6동 대회의실")
    follow(page, page.locator("form:has(#day) button[type=submit]"))
    assert presentation.slots.count() >= len(advanced)
    follow(page, page.locator("form:has(input[name=action][value=place]) button"))
    assert f"{len(advanced)}" in _messages(page)
    staff.step("schedule-placed")
    assert presentation.slots.filter(application__isnull=False).count() == len(advanced)

    # 10. On the day the professor scores a presentation from their schedule.
    professor.goto("/review/", "my-schedule")
    schedule = reviewer_page.locator("#schedule")
    assert schedule.locator("tbody tr").count() >= len(advanced)
    follow(reviewer_page, schedule.locator("a").first)
    presenting = Assignment.objects.get(pk=int(re.search(r"/review/(\d+)/", reviewer_page.url).group(1)))
    assert presenting.stage == presentation
    professor.step("presentation-review")
    # The pledge is signed once per call; the conflict is declared per application and stage.
    assert reviewer_page.locator("#pledge-agree").count() == 0
    follow(reviewer_page, reviewer_page.locator("button[name=action][value=no_conflict]"))
    level = quality[presenting.application_id]
    for criterion in presentation.criteria.all():
        reviewer_page.locator(f"#points-{criterion.pk}").fill(staged_scenario.points(criterion, level, 0))
    follow(reviewer_page, reviewer_page.locator("button[name=action][value=submit]"))
    professor.step("presentation-submitted")
    presenting.refresh_from_db()
    assert presenting.review.submitted_at is not None
    staged_scenario.score_rest(call, presentation, quality, skip=[presenting.pk])

    # 11. Staff close the presentation, record the selection with the call's 14 places, publish.
    staff.goto(f"/staff/calls/{SLUG}/evaluation/", "evaluation-presented")
    follow(page, page.locator(f"form[action$='/{SLUG}/evaluation/close/'] button"))
    staff.goto(f"/staff/calls/{SLUG}/selection/", "selection-preview")
    follow(page, page.locator("button[name=action][value=run]"))
    staff.step("selection-recorded")
    follow(page, page.locator("button[name=action][value=confirm]"))
    staff.step("selection-published")
    states = list(Application.objects.filter(call=call).values_list("state", flat=True))
    assert states.count("selected") == call.max_awards == 14
    run = call.selection_runs.get()
    assert run.confirmed_at is not None

    # The weighted final score of one selected application, computed from its scores alone:
    # each stage's score is the mean of its three reviewers' totals (fewer than five: no
    # trimming), rounded half-up; the final is 0.3 × document + 0.7 × presentation.
    chosen = run.results.filter(outcome="selected").order_by("rank").first()

    def stage_score(stage):
        totals = [
            sum(score.points for score in Score.objects.filter(review=review))
            for review in chosen.application.reviews.filter(
                assignment__stage=stage, submitted_at__isnull=False
            )
        ]
        assert len(totals) == 3
        return (sum(totals) / 3).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)

    weighted = Decimal("0.3") * stage_score(document) + Decimal("0.7") * stage_score(presentation)
    assert chosen.evaluation_score == weighted.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)

    # 12. Applicants read their result letters: the margin in plain words.
    in_call = Application.objects.filter(call=call).order_by("reference")
    readers = {
        "selected": in_call.filter(state="selected").first(),
        "not_selected": in_call.filter(state="not_selected").first(),
        "eliminated": in_call.filter(state="eliminated", advancement_results__reason="below_cutoff").first(),
    }
    letters = {}
    for outcome, application in readers.items():
        owner = application.created_by
        owner.set_password(PASSWORD)
        owner.save(update_fields=["password"])
        applicant_page = new_page()
        applicant = Journey(applicant_page, lang, f"staged-applicant-{outcome}")
        applicant.log_in(owner.email, PASSWORD)
        applicant.goto(f"/applications/{application.pk}/letter/", "letter")
        letters[outcome] = applicant_page.locator("main").inner_text()
    assert set(letters) == {"selected", "not_selected", "eliminated"}, letters.keys()
    words = {
        "ko": {"selected": "선정된 14건 중", "below": "점 낮습니다", "higher": "더 높은 점수"},
        "en": {
            "selected": "of 14 selected",
            "below": "points below the cutoff",
            "higher": "went to higher scores",
        },
    }[lang]
    assert words["selected"] in letters["selected"]
    margin = readers["eliminated"].advancement_results.get().margin
    assert f"{margin}" in letters["eliminated"] and words["below"] in letters["eliminated"]
    assert words["below"] in letters["not_selected"] or words["higher"] in letters["not_selected"]
