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
