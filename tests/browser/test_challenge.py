"""Journey 6 (issue 16's "Done when"): the 2022 Smart City Challenge end to end in the browser.

Staff publish the preliminary selection; the selected city continues to the main stage from its
preliminary application (the data carried over), its partner company accepts again, the city
completes and submits the three-year plan; staff confirm eligibility, assign, close the review
and publish the main-stage selection; the city accepts; staff award 15 bn KRW matched 50:50 by
the city and add the agreement's three years split by budget category (비목); each year's
tranche is paid only once the previous year's annual report is accepted (the early one is
refused), the city reports spending from both shares and its indicator results, the final report
is accepted and the project settled per category; the auditor's funding workbook shows it.
"""

import re
from datetime import date
from pathlib import Path

import pytest
from openpyxl import load_workbook

from accounts.roles import Role
from audit.funding_workbook import sheet_title
from competitions.models import BudgetCategory
from projects.models import (
    Application,
    DisbursementEntry,
    DuplicateFinding,
    Expenditure,
    Indicator,
    IndicatorActual,
    Project,
    Report,
    SettlementLine,
)

from . import challenge_scenario as scenario
from .scenarios import demo_password
from .support import Journey, follow

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

BN = scenario.BN
YEAR_SUBSIDY = 5 * BN
# Each year's plan by category (the demo categories: personnel, equipment, outsourcing ≤ 40 %,
# indirect ≤ 10 %), adding up to the year's subsidy.
PLAN = {
    "personnel": 2_500_000_000,
    "equipment": 1_500_000_000,
    "outsourcing": 750_000_000,
    "indirect": 250_000_000,
}
# National spending approved each year (personnel, equipment); the city spends its 5 bn a year.
NATIONAL_SPENT = [
    (2_400_000_000, 1_500_000_000),
    (2_500_000_000, 1_400_000_000),
    (2_500_000_000, 1_500_000_000),
]
LOCAL_SPENT = 5 * BN
INTEREST = 12_345_000


def _messages(page):
    return page.locator(".gongmo-messages").inner_text()


def _pdf(tmp_path, name):
    path = Path(tmp_path) / name
    path.write_bytes(scenario.upload(name).read())
    return str(path)


def _staff_post(page, action, **fields):
    """Fill the project page's form for ``action`` (opening its folded section) and post it."""
    form = page.locator(f"form:has(input[name=action][value={action}])").first
    summary = page.locator(f"details:has(input[name=action][value={action}]) > summary")
    if summary.count() and not form.is_visible():
        summary.click()
    for name, value in fields.items():
        control = form.locator(f"[name={name}]")
        if control.evaluate("el => el.tagName") == "SELECT":
            control.select_option(str(value))
        else:
            control.fill(str(value))
    follow(page, form.locator("button[type=submit]").first)


def test_the_challenge_from_preliminary_selection_to_settlement(demo, new_page, lang, tmp_path):
    challenge = scenario.preliminary_scored()
    pre, main = challenge.preliminary, challenge.main
    busan = challenge.applications[0]
    official, manager = challenge.people[0]

    staff_page = new_page()
    staff = Journey(staff_page, lang, "challenge-staff")
    staff.log_in("staff@gongmo.example", demo_password(Role.STAFF))
    page = staff_page

    # 1. The preliminary selection: staff close the review, record the run and publish it.
    staff.goto(f"/staff/calls/{pre.slug}/evaluation/", "preliminary-evaluation")
    follow(page, page.locator(f"form[action$='/{pre.slug}/evaluation/close/'] button"))
    staff.goto(f"/staff/calls/{pre.slug}/selection/", "preliminary-selection")
    follow(page, page.locator("button[name=action][value=run]"))
    follow(page, page.locator("button[name=action][value=confirm]"))
    staff.step("preliminary-published")
    states = dict(Application.objects.filter(call=pre).values_list("lead_id", "state"))
    assert states[busan.lead_id] == "selected"
    assert list(states.values()).count("selected") == pre.max_awards == 4

    # 2. The city continues from its preliminary application: the main-stage draft carries it over.
    city_page = new_page()
    city = Journey(city_page, lang, "challenge-city")
    city.log_in(official.email, scenario.PASSWORD)
    city.goto(f"/calls/{main.slug}/apply/", "main-apply")
    follow(city_page, city_page.locator(f"#continue form:has(input[name=from][value='{busan.pk}']) button"))
    city.step("carried-over")
    draft = Application.objects.get(call=main, lead=busan.lead)
    assert draft.carried_from_id == busan.pk and draft.state == "draft"
    assert (draft.title, draft.requested_subsidy, draft.local_government) == (
        busan.title,
        1_500_000_000,
        1_500_000_000,
    )
    [member] = draft.consortium_members.all()
    assert member.state == "pending"  # the partner must consent again
    [indicator] = Indicator.objects.filter(application=draft, removed=False)
    assert list(indicator.targets.values_list("year", flat=True)) == [1]
    assert busan.reference in city_page.locator("main").inner_text()
    assert draft.documents.count() == 0 and busan.documents.count() == 1

    # 3. The partner company accepts its place again from its requests page.
    partner_page = new_page()
    partner = Journey(partner_page, lang, "challenge-partner")
    partner.log_in(manager.email, scenario.PASSWORD)
    partner.goto("/me/requests/", "requests")
    follow(
        partner_page,
        partner_page.locator(f"form[action$='/consortium-requests/{member.pk}/'] button[value=accept]"),
    )
    member.refresh_from_db()
    assert member.state == "accepted"

    # 4. The city completes the three-year plan: 15 bn national matched 1:1, targets for years 2
    # and 3, the main stage's proposal; then submits.
    city.goto(f"/applications/{draft.pk}/edit/", "main-draft")
    city_page.locator("#id_requested_subsidy").fill(str(15 * BN))
    city_page.locator("#id_local_government").fill(str(15 * BN))
    city_page.locator("#id_indicators-0-target_2").fill("40000")
    city_page.locator("#id_indicators-0-target_3").fill("60000")
    follow(city_page, city_page.locator("main form button[type=submit]").last)
    assert city_page.locator(".gongmo-messages").count() == 1
    city_page.locator("#document-file").set_input_files(_pdf(tmp_path, "proposal-main.pdf"))
    city_page.locator("#id_kind").select_option("proposal")
    follow(
        city_page,
        city_page.locator(f"form[action$='/applications/{draft.pk}/documents/'] button[type=submit]").last,
    )
    city.goto(f"/applications/{draft.pk}/submit/", "main-confirm")
    follow(city_page, city_page.locator(f"form[action$='/applications/{draft.pk}/submit/'] button"))
    draft = Application.objects.get(pk=draft.pk)
    assert draft.state == "submitted", _messages(city_page)
    # The duplicate check does not flag the preliminary application it continues.
    assert not DuplicateFinding.objects.filter(application=draft).exists()
    assert sorted(indicator.targets.values_list("year", flat=True)) == [1, 2, 3]
    city.step("main-submitted")

    # The other selected cities apply the same way (their own pages are not walked).
    others = scenario.other_cities_apply(challenge)
    main = scenario.main_reception_closed(challenge)

    # 5. The main stage: eligibility from the queue, reviewers assigned, scored, closed, selected.
    staff.goto(f"/staff/eligibility/?call={main.slug}&state=submitted", "main-queue")
    for application in [draft, *others]:
        label = page.locator(f"label[for=sel-{application.pk}]")
        label.click()
        if not page.locator(f"#sel-{application.pk}").is_checked():
            label.click()  # a click lost while the page was still settling
        assert page.locator(f"#sel-{application.pk}").is_checked()
    follow(page, page.locator("button[name=action][value=confirm]"))
    states = set(Application.objects.filter(call=main).values_list("state", flat=True))
    assert states == {"eligible"}, _messages(page)
    staff.goto(f"/staff/calls/{main.slug}/evaluation/", "main-evaluation")
    follow(page, page.locator(f"form[action$='/{main.slug}/evaluation/assign/'] button"))
    scenario.score_main(challenge)
    staff.goto(f"/staff/calls/{main.slug}/evaluation/", "main-scored")
    follow(page, page.locator(f"form[action$='/{main.slug}/evaluation/close/'] button"))
    staff.goto(f"/staff/calls/{main.slug}/selection/", "main-selection")
    follow(page, page.locator("button[name=action][value=run]"))
    follow(page, page.locator("button[name=action][value=confirm]"))
    staff.step("main-published")
    draft = Application.objects.get(pk=draft.pk)
    assert draft.state == "selected"

    # 6. The city accepts; staff award 15 bn (the city matches 15 bn) and sign for three years.
    city.goto(f"/applications/{draft.pk}/", "main-selected")
    follow(city_page, city_page.locator(f"form[action$='/applications/{draft.pk}/accept/'] button"))
    first_year = date.today().year - 3
    staff.goto(f"/staff/applications/{draft.pk}/award/", "award")
    page.locator("#id_national_subsidy").fill(str(15 * BN))
    page.locator("#id_signed_on").fill(f"{first_year}-01-02")
    page.locator("#id_parties").fill(f"국토교통부; {busan.lead.name}; {member.organisation.name}")
    page.locator("#id_starts_on").fill(f"{first_year}-01-02")
    page.locator("#id_ends_on").fill(f"{first_year + 2}-12-31")
    follow(page, page.locator("main form button[type=submit]"))
    project = Project.objects.get(award__application=draft)
    assert (project.award.national_subsidy, project.award.local_government) == (15 * BN, 15 * BN)
    staff.step("project")

    categories = {c.code: c for c in BudgetCategory.objects.filter(call=main)}
    for number in range(3):
        year = first_year + number
        _staff_post(
            page,
            "add_year",
            starts_on=f"{year}-01-02" if number == 0 else f"{year}-01-01",
            ends_on=f"{year}-12-31",
            national_subsidy=YEAR_SUBSIDY,
            total_cost=2 * YEAR_SUBSIDY,
            **{f"plan_{categories[code].pk}": amount for code, amount in PLAN.items()},
        )
        assert project.years.count() == number + 1, _messages(page)
    staff.step("years")
    assert "50:50" in page.locator("main").inner_text()  # the call's national:local ratio

    def pay(number):
        _staff_post(
            page,
            "pay",
            amount=YEAR_SUBSIDY,
            paid_on=f"{first_year + number - 1}-01-15",
            tranche=number,
            year=number,
        )

    # 7. Year by year: the tranche, the city's spending from both shares, the annual report.
    pay(1)
    assert DisbursementEntry.objects.filter(project=project, kind="payment").count() == 1
    for number in (1, 2, 3):
        year = first_year + number - 1
        if number < 3:
            # The next year's tranche before this year's annual report is accepted: refused.
            pay(number + 1)
            assert DisbursementEntry.objects.filter(project=project, kind="payment").count() == number
            refusal = _messages(page)
            assert {"ko": "연차보고서", "en": "annual report"}[lang] in refusal and f"{number}" in refusal
            staff.step(f"tranche-{number + 1}-refused")
        city.goto(f"/projects/{project.pk}/", f"project-year-{number}")
        personnel, equipment = NATIONAL_SPENT[number - 1]
        for code, share, amount in [
            ("personnel", "national", personnel),
            ("equipment", "national", equipment),
            ("personnel", "local_government", LOCAL_SPENT),
        ]:
            form = city_page.locator("form:has([name=evidence])")
            form.locator("[name=spent_on]").fill(f"{year}-06-30")
            form.locator("[name=budget_category]").select_option(str(categories[code].pk))
            form.locator("[name=share]").select_option(share)
            form.locator("[name=amount]").fill(str(amount))
            form.locator("[name=description]").fill(f"{year} {code}")
            form.locator("[name=evidence]").set_input_files(_pdf(tmp_path, f"evidence-{year}-{code}.pdf"))
            follow(city_page, form.locator("button[type=submit]"))
        annual = project.reports.get(kind=Report.Kind.ANNUAL, year__number=number)
        city_page.locator(f"#rep-{annual.pk}").set_input_files(_pdf(tmp_path, f"annual-{year}.pdf"))
        follow(city_page, city_page.locator(f"form:has(#rep-{annual.pk}) button[type=submit]"))
        assert Expenditure.objects.filter(project=project, spent_on__year=year).count() == 3
        city.step(f"reported-year-{number}")

        staff.goto(f"/staff/projects/{project.pk}/", f"review-year-{number}")
        for spent in Expenditure.objects.filter(project=project, state="reported").order_by("pk"):
            follow(
                page,
                page.locator(f"form:has(input[name=expenditure][value='{spent.pk}']) button[value=approve]"),
            )
        follow(page, page.locator(f"form:has(input[name=report][value='{annual.pk}']) button[value=accept]"))
        annual = Report.objects.get(pk=annual.pk)
        assert annual.status == "accepted"
        if number < 3:
            pay(number + 1)
            assert DisbursementEntry.objects.filter(project=project, kind="payment").count() == number + 1

    # 8. Indicators reported with the final report, which staff accept; then the settlement.
    final = project.reports.get(kind=Report.Kind.FINAL)
    city.goto(f"/reports/{final.pk}/results/", "indicator-results")
    city_page.locator(f"[name=value_{indicator.pk}]").fill("61234")
    city_page.locator(f"[name=evidence_{indicator.pk}]").set_input_files(_pdf(tmp_path, "riders.pdf"))
    follow(city_page, city_page.locator("main form button[type=submit]").last)
    assert IndicatorActual.objects.filter(indicator=indicator, report=final).count() == 1
    city.goto(f"/projects/{project.pk}/", "final-report")
    city_page.locator(f"#rep-{final.pk}").set_input_files(_pdf(tmp_path, "final.pdf"))
    follow(city_page, city_page.locator(f"form:has(#rep-{final.pk}) button[type=submit]"))
    staff.goto(f"/staff/projects/{project.pk}/", "final-review")
    follow(page, page.locator(f"form:has(input[name=report][value='{final.pk}']) button[value=accept]"))
    _staff_post(page, "settle", interest=INTEREST)
    staff.step("settled")
    project = Project.objects.get(pk=project.pk)
    assert project.state == "settled", _messages(page)
    settlement = project.settlements.get()
    approved = sum(p + e for p, e in NATIONAL_SPENT)
    assert settlement.disbursed == 15 * BN and settlement.approved_spending == approved
    assert settlement.to_recover == 15 * BN - approved + INTEREST and settlement.matching_return == 0
    lines = SettlementLine.objects.filter(settlement=settlement)
    assert sum(line.to_recover for line in lines) == settlement.to_recover
    assert {line.category.code for line in lines} == set(PLAN)

    # 9. The auditor's funding workbook shows the years, categories, matching and settlement.
    auditor_page = new_page()
    auditor = Journey(auditor_page, lang, "challenge-auditor")
    auditor.log_in("auditor@gongmo.example", demo_password(Role.AUDITOR))
    auditor.goto("/audit/", "room")
    row = auditor_page.locator(f"main tr:has(input[name=calls][value='{main.pk}'])")
    follow(auditor_page, row.locator(f"button[name=lang][value={lang}]"))
    auditor_page.wait_for_url(re.compile(r"/audit/jobs/[0-9a-f-]+/$"))
    link = auditor_page.locator("main a[href$='/download/']")
    link.wait_for(timeout=60_000)
    with auditor_page.expect_download() as info:
        link.click()
    path = tmp_path / "challenge.xlsx"
    info.value.save_as(path)
    workbook = load_workbook(path, read_only=True)

    def sheet(title):  # the Korean edition names its sheets in Korean
        return workbook[sheet_title(title, lang)]

    budget_rows = [r for r in sheet("Budget").iter_rows(min_row=2, values_only=True) if r[0] == project.code]
    assert sorted({r[1] for r in budget_rows}) == [1, 2, 3]
    assert len(budget_rows) == 3 * len(PLAN)
    assert {r[9] for r in budget_rows} == set(PLAN.values())  # planned per category
    assert sum(r[17] or 0 for r in budget_rows) == settlement.to_recover
    [award] = [r for r in sheet("Awards").iter_rows(min_row=2, values_only=True) if r[0] == project.code]
    assert (award[4], award[5], award[13]) == (15 * BN, 15 * BN, "50:50")
    assert award[14] == 3 * LOCAL_SPENT and award[15] == 0
    checks = [r for r in sheet("Checks").iter_rows(values_only=True) if "FAIL" in r or "미충족" in r]
    assert checks == []
    workbook.close()
    auditor.step("workbook")
