"""Demo organisations: the demo applicant's SME, and two partners it can add to a consortium
(by business registration number) to see the consortium rules at work. Organisation has one
name field: the Korean legal name, the English in parentheses."""

from dataclasses import dataclass

from competitions.models import Region

from .models import FiscalYear, Membership, Organisation
from .registration_number import check_digit

BN = 1_000_000_000


def registration_number(first_nine):
    return f"{first_nine}{check_digit(first_nine)}"


@dataclass(frozen=True)
class DemoOrganisation:
    name: str
    first_nine: str
    kind: str
    region: str
    industry: str
    years: tuple[tuple[int, int, int], ...]  # (year, sales, total assets)
    in_disclosed_large_group: bool = False
    in_mutual_investment_restricted_group: bool = False

    @property
    def registration_number(self):
        return registration_number(self.first_nine)


DEMO_ORGANISATIONS = [
    DemoOrganisation(
        "해운대스마트모빌리티(주) (Haeundae Smart Mobility Co., Ltd.)",
        "617810123",
        "company",
        "busan",
        "ict",
        ((2023, 58 * BN, 40 * BN), (2024, 61 * BN, 44 * BN), (2025, 67_300_000_000, 47 * BN)),
    ),
    DemoOrganisation(
        "한빛건설(주) (Hanbit Construction Corporation)",
        "104812345",
        "company",
        "seoul",
        "construction",
        ((2023, 2_100 * BN, 3_900 * BN), (2024, 2_300 * BN, 4_100 * BN), (2025, 2_450 * BN, 4_400 * BN)),
        in_disclosed_large_group=True,
        in_mutual_investment_restricted_group=True,
    ),
    DemoOrganisation(
        "세종도시데이터랩(주) (Sejong Urban Data Lab)",
        "307820456",
        "company",
        "sejong",
        "professional_scientific",
        ((2023, 3 * BN, 2 * BN), (2024, 4 * BN, 2 * BN), (2025, 5 * BN, 3 * BN)),
    ),
]


def seed_demo_organisations(applicant):
    """Create or update the demo organisations; the applicant owns the first."""
    organisations = []
    for spec in DEMO_ORGANISATIONS:
        organisation, _created = Organisation.objects.update_or_create(
            registration_number=spec.registration_number,
            defaults={
                "name": spec.name,
                "kind": spec.kind,
                "region": Region.objects.get(slug=spec.region),
                "industry": spec.industry,
                "in_disclosed_large_group": spec.in_disclosed_large_group,
                "in_mutual_investment_restricted_group": spec.in_mutual_investment_restricted_group,
            },
        )
        for year, sales, assets in spec.years:
            FiscalYear.objects.update_or_create(
                organisation=organisation, year=year, defaults={"sales": sales, "total_assets": assets}
            )
        organisation.refresh_size_class()
        organisations.append(organisation)
    Membership.objects.get_or_create(
        user=applicant, organisation=organisations[0], defaults={"role": Membership.Role.OWNER}
    )
    return organisations


# The demo call's budget categories (비목): code, English, Korean, cap (% of a year's money).
DEMO_BUDGET_CATEGORIES = [
    ("personnel", "Personnel", "인건비", None),
    ("equipment", "Equipment", "장비·재료비", None),
    ("outsourcing", "Outsourcing", "위탁사업비", 40),
    ("indirect", "Indirect costs", "간접비", 10),
]


def seed_demo_year(project, staff, starts_on, ends_on, subsidy):
    """One agreement year of a demo project, its subsidy split 50 / 30 / 15 / 5 % by category."""
    from competitions.models import BudgetCategory

    from . import years

    categories = list(BudgetCategory.objects.filter(call=project.award.application.call).order_by("position"))
    shares = [subsidy * 50 // 100, subsidy * 30 // 100, subsidy * 15 // 100]
    plan = dict(zip(categories, [*shares, subsidy - sum(shares)], strict=True))
    return years.add_year(
        project,
        by=staff,
        starts_on=starts_on,
        ends_on=ends_on,
        national_subsidy=subsidy,
        total_cost=subsidy,
        plan=plan,
    )


def seed_demo_money(call, *, staff, count=3):
    """The first ``count`` selected applications of a call whose results are published, through
    projects.ledger and projects.reports: accepted, awarded, the agreement signed for May to
    November 2022 with one phase and two agreement years split by the call's budget categories,
    paid in a tranche a year (the second once the first year's annual report is accepted),
    spending reported against a category and approved, the progress, annual and final reports
    submitted and accepted; the first project settled (per category too) and closed.
    Runs once (nothing happens when the call already has an award). Returns the projects."""
    from datetime import date

    from django.core.files.base import ContentFile
    from django.core.files.uploadedfile import SimpleUploadedFile

    from competitions.models import BudgetCategory
    from evaluation.demo_journey import pdf_bytes

    from . import ledger, reports
    from .models import Application, ApplicationState, Award, Expenditure

    if Award.objects.filter(application__call=call).exists():
        return []
    for position, (code, name, name_ko, cap) in enumerate(DEMO_BUDGET_CATEGORIES):
        BudgetCategory.objects.get_or_create(
            call=call,
            code=code,
            defaults={"name": name, "name_ko": name_ko, "cap_percent": cap, "position": position},
        )
    selected = list(
        Application.objects.filter(call=call, state=ApplicationState.SELECTED).order_by("reference")[:count]
    )
    projects = []
    for n, application in enumerate(selected):
        owner = application.created_by
        project = _accepted_awarded_signed(
            application,
            staff,
            date(2022, 5, 2),
            date(2022, 11, 30),
            phases=[("1차년도 실증 (Demonstration)", date(2022, 5, 2), date(2022, 8, 31))],
        )
        award = project.award
        subsidy = award.national_subsidy
        first = subsidy // 2
        # Two agreement years, each split by the call's budget categories (비목); year 2 is paid
        # once year 1's annual report is accepted.
        year_one = seed_demo_year(project, staff, date(2022, 5, 2), date(2022, 8, 31), first)
        seed_demo_year(project, staff, date(2022, 9, 1), date(2022, 11, 30), subsidy - first)
        ledger.post_payment(project, by=staff, amount=first, paid_on=date(2022, 5, 16), tranche=1, year=1)
        by_code = {category.code: category for category in BudgetCategory.objects.filter(call=call)}
        spending = [
            (date(2022, 6, 30), Expenditure.Category.PERSONNEL, first * 5 // 10),
            (date(2022, 9, 30), Expenditure.Category.EQUIPMENT, (subsidy - first) * 3 // 10),
        ]
        for spent_on, category, amount in spending:
            expenditure = ledger.report_expenditure(
                project,
                by=owner,
                spent_on=spent_on,
                category=category,
                budget_category=by_code[category],
                amount=amount,
                evidence=ContentFile(pdf_bytes(), name="evidence.pdf"),
                description="실증 사업비 집행 (demonstration spending)",
            )
            ledger.decide_expenditure(expenditure, by=staff, approved_amount=amount)
            if spent_on < date(2022, 9, 1):
                annual = project.reports.get(year=year_one)
                reports.submit_report(
                    annual, by=owner, upload=SimpleUploadedFile("annual.pdf", pdf_bytes(), "application/pdf")
                )
                reports.review_report(annual, by=staff, accept=True)
                ledger.post_payment(
                    project, by=staff, amount=subsidy - first, paid_on=date(2022, 9, 1), tranche=2, year=2
                )
        demo_indicators(project, by=owner)
        for report in project.reports.exclude(status="accepted").order_by("kind", "due_on"):
            submitted = reports.submit_report(
                report,
                by=owner,
                upload=SimpleUploadedFile(f"{report.kind}.pdf", pdf_bytes(), "application/pdf"),
            )
            reports.review_report(getattr(submitted, "report", report), by=staff, accept=True)
        if n == 0:
            ledger.settle(project, by=staff, interest_earned=120_000)
            settlement = project.settlements.order_by("-pk").first()
            ledger.post_recovery(
                project,
                by=staff,
                amount=settlement.to_recover,
                received_on=date(2023, 1, 16),
                reference="반환 RT-2023-001",
            )
            ledger.close_project(project, by=staff)
        projects.append(project)
    return projects


def seed_demo_agreement(call, *, staff):
    """The first selected application of ``call`` accepted, awarded
    what it asked and its one-year agreement signed (June 2022 to May 2023), through
    projects.ledger: a project still running its demonstration, without money or reports yet.
    Runs once (nothing happens when the call already has an award). Returns the project or None."""
    from datetime import date

    from .models import Application, ApplicationState, Award, Project

    if Award.objects.filter(application__call=call).exists():
        return Project.objects.filter(award__application__call=call).order_by("pk").first()
    application = (
        Application.objects.filter(call=call, state=ApplicationState.SELECTED).order_by("reference").first()
    )
    if application is None:
        return None
    return _accepted_awarded_signed(application, staff, date(2022, 6, 1), date(2023, 5, 31))


def _accepted_awarded_signed(application, staff, starts_on, ends_on, **agreement):
    """The lead accepts its selection, staff award it and sign the agreement on its first day."""
    from . import ledger

    ledger.accept_selection(application, by=application.created_by)
    award = ledger.create_award(application, by=staff)
    return ledger.sign_agreement(
        award,
        by=staff,
        signed_on=starts_on,
        parties=f"국토교통부(MOLIT); 국토교통과학기술진흥원(KAIA); {application.lead.name}",
        starts_on=starts_on,
        ends_on=ends_on,
        **agreement,
    )


# Two indicators per demo project (values are our choice, not the ministry's): name, Korean
# name, unit, baseline, target for the year, the actual reported in the final report.
DEMO_INDICATORS = [
    ("Service users", "실증 서비스 이용자 수", "명", 0, 1_000, 1_240),
    ("Incidents detected", "위험 상황 감지 건수", "건", 0, 50, 41),
]


def demo_indicators(project, *, by):
    """The demo project's indicators (proposed with its application, reported in its final
    report with evidence), through projects.indicators."""
    from decimal import Decimal

    from django.core.files.uploadedfile import SimpleUploadedFile

    from . import indicators
    from .models import Report

    application = project.award.application
    if indicators.current(application).exists():
        return
    rows = [
        indicators.IndicatorRow(None, name, name_ko, unit, Decimal(baseline), {1: Decimal(target)})
        for name, name_ko, unit, baseline, target, _actual in DEMO_INDICATORS
    ]
    indicators.save_indicators(application, rows, by=by)
    final = project.reports.get(kind=Report.Kind.FINAL)
    entries = [
        (indicator, Decimal(row[5]), SimpleUploadedFile(f"indicator-{n}.pdf", pdf_bytes(), "application/pdf"))
        for n, (indicator, row) in enumerate(
            zip(indicators.current(application), DEMO_INDICATORS, strict=True), 1
        )
    ]
    indicators.record_actuals(final, entries, by=by)


def pdf_bytes() -> bytes:
    """A one-page, empty A4 PDF 1.7: the documents the demo companies attach (and the tests'
    sample PDF)."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>",
    ]
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)
