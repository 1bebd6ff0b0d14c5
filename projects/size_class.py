"""Which size class an applicant belongs to under the Framework Act on SMEs (중소기업기본법).

Calls reserve places, subsidy rates and matching-fund shares by size class, so staff need the
class and, just as much, the reason for it: every result carries a sentence naming the test
that decided it, with the figures used. The rules (DESIGN.md):

- SME: 3-year average sales at or below the industry's band (Enforcement Decree, Annex 1),
  total assets below 500 bn KRW, and independent: not owned ≥ 30 %, as largest shareholder, by
  an entity with assets ≥ 500 bn KRW, and not in a disclosed business group with assets of
  5 trillion KRW or more.
- Mid-sized: not an SME and not in a mutual-investment-restricted group; otherwise large.
- Public bodies and non-profits are declared by kind, not measured.

This is a pure function of the facts the applicant declared; it reads no database.
"""

import datetime
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from types import MappingProxyType

from django.db import models
from django.utils import timezone
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from competitions.formatting import korean_reading

BN = 1_000_000_000  # 10억 원 is one billion won; the Annex states its bands in 억 원.
TRILLION = 1_000_000_000_000


class Industry(models.TextChoices):
    """Industries grouped by their sales band in Annex 1 (simplified to one choice per group
    of KSIC divisions where the Annex gives them the same band)."""

    # 150 bn KRW
    MANUFACTURING_150 = (
        "manufacturing_150",
        gettext_lazy("Manufacturing: apparel, leather, primary metals, electrical equipment, furniture"),
    )
    # 100 bn KRW
    AGRICULTURE = "agriculture", gettext_lazy("Agriculture, forestry and fishing")
    MANUFACTURING_100 = (
        "manufacturing_100",
        gettext_lazy(
            "Manufacturing: food, textiles, wood, chemicals, rubber, fabricated metals, motor vehicles, other transport equipment"
        ),
    )
    ELECTRICITY_GAS = "electricity_gas", gettext_lazy("Electricity, gas, steam and air conditioning supply")
    CONSTRUCTION = "construction", gettext_lazy("Construction")
    WHOLESALE_RETAIL = "wholesale_retail", gettext_lazy("Wholesale and retail trade")
    # 80 bn KRW
    MINING = "mining", gettext_lazy("Mining and quarrying")
    MANUFACTURING_80 = (
        "manufacturing_80",
        gettext_lazy(
            "Manufacturing: beverages, printing, medical substances, non-metallic minerals, electronic components/computers/communication equipment, other machinery, other products"
        ),
    )
    WATER_WASTE = "water_waste", gettext_lazy("Water supply, sewerage and waste management")
    TRANSPORT = "transport", gettext_lazy("Transportation and storage")
    ICT = "ict", gettext_lazy("Information and communication")
    # 60 bn KRW
    PROFESSIONAL_SCIENTIFIC = (
        "professional_scientific",
        gettext_lazy("Professional, scientific and technical services"),
    )
    BUSINESS_FACILITIES = (
        "business_facilities",
        gettext_lazy("Business facilities management and support services"),
    )
    HEALTH_SOCIAL = "health_social", gettext_lazy("Human health and social work")
    ARTS_SPORTS = "arts_sports", gettext_lazy("Arts, sports and recreation")
    REPAIR_PERSONAL = "repair_personal", gettext_lazy("Repair and other personal services")
    MACHINERY_REPAIR = "machinery_repair", gettext_lazy("Repair of industrial machinery and equipment")
    # 40 bn KRW
    ACCOMMODATION_FOOD = "accommodation_food", gettext_lazy("Accommodation and food services")
    FINANCE_INSURANCE = "finance_insurance", gettext_lazy("Financial and insurance activities")
    REAL_ESTATE = "real_estate", gettext_lazy("Real estate")
    RENTAL = "rental", gettext_lazy("Rental and leasing")
    EDUCATION = "education", gettext_lazy("Education services")


@dataclass(frozen=True)
class BandTable:
    """The thresholds in force from a date: amendments change them, and an application is
    judged by the ones in force on its reference date, not by today's."""

    effective_from: datetime.date
    sales_caps: Mapping[str, int]  # industry -> KRW
    asset_cap: int = 500 * BN
    independence_owner_assets: int = 500 * BN
    independence_share_percent: int = 30
    large_group_assets: int = 5 * TRILLION


def _caps(bands: Mapping[int, Sequence[Industry]]) -> Mapping[str, int]:
    """{band in bn: industries} -> a read-only {industry: cap in KRW}."""
    return MappingProxyType(
        {industry.value: band * BN for band, industries in bands.items() for industry in industries}
    )


_BANDS_2015 = {
    150: [Industry.MANUFACTURING_150],
    100: [
        Industry.AGRICULTURE,
        Industry.MANUFACTURING_100,
        Industry.ELECTRICITY_GAS,
        Industry.CONSTRUCTION,
        Industry.WHOLESALE_RETAIL,
    ],
    80: [Industry.MINING, Industry.MANUFACTURING_80, Industry.WATER_WASTE, Industry.TRANSPORT, Industry.ICT],
    60: [
        Industry.PROFESSIONAL_SCIENTIFIC,
        Industry.BUSINESS_FACILITIES,
        Industry.HEALTH_SOCIAL,
        Industry.ARTS_SPORTS,
        Industry.REPAIR_PERSONAL,
        Industry.MACHINERY_REPAIR,
    ],
    40: [
        Industry.ACCOMMODATION_FOOD,
        Industry.FINANCE_INSURANCE,
        Industry.REAL_ESTATE,
        Industry.RENTAL,
        Industry.EDUCATION,
    ],
}

BAND_TABLES: tuple[BandTable, ...] = (
    # Sales bands replaced the headcount and capital tests on 2015-01-01. An amendment is a new
    # BandTable with its effective date appended here (DESIGN.md §3 is the rule book: change it
    # first); applications are judged by the table in force on their reference date.
    BandTable(effective_from=datetime.date(2015, 1, 1), sales_caps=_caps(_BANDS_2015)),
)


def band_table_on(day: datetime.date) -> BandTable:
    """The latest table in force on `day`; ValueError before the first one."""
    in_force = [table for table in BAND_TABLES if table.effective_from <= day]
    if not in_force:
        raise ValueError(f"No SME band table is in force on {day.isoformat()}.")
    return max(in_force, key=lambda table: table.effective_from)


@dataclass(frozen=True)
class CompanyFacts:
    """What the applicant declared about itself. Financial fields matter only for companies."""

    kind: str  # "company", "university", "local_government", "public_institution", "nonprofit"
    industry: str | None
    sales_last_3_years: Sequence[int]  # KRW, 1 to 3 values (average over those given)
    total_assets: int | None
    largest_shareholder_share_percent: Decimal | int | None = None
    # None when the largest shareholder is a person or holds no reportable assets.
    largest_shareholder_assets: int | None = None
    in_disclosed_large_group: bool = False  # group with assets >= 5 trillion
    in_mutual_investment_restricted_group: bool = False


@dataclass(frozen=True)
class SizeClassResult:
    code: str  # "sme" | "mid" | "large" | "public" | "nonprofit"
    reason: str  # in the active language


def bn(amount: int) -> str:
    """KRW as billions with one decimal, rounded half up: 62_149_999_999 -> '62.1',
    1_234_550_000_000 -> '1,234.6'."""
    return f"{(Decimal(amount) / BN).quantize(Decimal('0.1'), rounding=ROUND_HALF_UP):,}"


def _whole_bn(amount: int) -> str:
    return f"{amount // BN:,}"


def _korean():
    return (get_language() or "").startswith("ko")


def _amount(amount: int) -> str:
    """An amount as people read it: '62.1 bn KRW', in Korean '621억 원' (0.1 bn is 1억)."""
    if _korean():
        tenths = (Decimal(amount) / (BN // 10)).quantize(Decimal("1"), rounding=ROUND_HALF_UP)
        return korean_reading(int(tenths) * (BN // 10))
    return f"{bn(amount)} bn KRW"


def _cap(amount: int) -> str:
    """A threshold: '80 bn', in Korean '800억 원'."""
    return korean_reading(amount) if _korean() else f"{_whole_bn(amount)} bn"


def _plain_number(value: Decimal | int) -> str:
    """35 -> '35', Decimal('29.99') -> '29.99', Decimal('30.00') -> '30'."""
    return f"{Decimal(value).normalize():f}"


def classify(facts: CompanyFacts, on: datetime.date | None = None) -> SizeClassResult:
    """The size class of `facts` under the thresholds in force on `on` (default: today in
    Asia/Seoul). Raises ValueError for a company without industry, sales or assets, which
    the forms should have required."""
    if facts.kind in ("local_government", "public_institution"):
        return SizeClassResult("public", _("Declared as a public body."))
    if facts.kind in ("nonprofit", "university"):
        return SizeClassResult("nonprofit", _("Declared as a non-profit organisation."))
    if facts.kind != "company":
        raise ValueError(f"Unknown kind of organisation: {facts.kind!r}.")

    table = band_table_on(on or timezone.localdate())
    if facts.industry not in table.sales_caps:
        raise ValueError(f"A company needs a known industry to be classified, not {facts.industry!r}.")
    if not 1 <= len(facts.sales_last_3_years) <= 3:
        raise ValueError("A company needs sales for 1 to 3 recent years to be classified.")
    if facts.total_assets is None:
        raise ValueError("A company needs its total assets to be classified.")

    years = len(facts.sales_last_3_years)
    total_sales = sum(facts.sales_last_3_years)
    average_sales = total_sales // years  # shown in the reason; the test below is exact
    band = table.sales_caps[facts.industry]
    sales_figures = {
        "sales": _amount(average_sales),
        "band": _cap(band),
        "industry": Industry(facts.industry).label,
    }
    failures = []
    if total_sales > band * years:
        failures.append(_("average sales %(sales)s > %(band)s band for %(industry)s") % sales_figures)
    if facts.total_assets >= table.asset_cap:
        failures.append(
            _("total assets %(assets)s reach the %(cap)s cap")
            % {"assets": _amount(facts.total_assets), "cap": _cap(table.asset_cap)}
        )
    share = facts.largest_shareholder_share_percent
    owner_assets = facts.largest_shareholder_assets
    if (
        share is not None
        and owner_assets is not None
        and share >= table.independence_share_percent
        and owner_assets >= table.independence_owner_assets
    ):
        failures.append(
            _("largest shareholder owns %(share)s%% and has assets of %(assets)s (≥ %(cap)s)")
            % {
                "share": _plain_number(share),
                "assets": _amount(owner_assets),
                "cap": _cap(table.independence_owner_assets),
            }
        )
    # A mutual-investment-restricted group is a disclosed group too (its threshold is higher).
    if facts.in_disclosed_large_group or facts.in_mutual_investment_restricted_group:
        failures.append(
            _("member of a disclosed business group with assets of %(threshold)s trillion KRW or more")
            % {"threshold": _plain_number(Decimal(table.large_group_assets) / TRILLION)}
        )

    if not failures:
        parts = [
            _("average sales %(sales)s ≤ %(band)s band for %(industry)s") % sales_figures,
            _("assets below %(cap)s") % {"cap": _cap(table.asset_cap)},
        ]
        return SizeClassResult("sme", "; ".join(parts))
    if facts.in_mutual_investment_restricted_group:
        return SizeClassResult(
            "large", "; ".join([*failures, _("in a mutual-investment-restricted group, so large")])
        )
    return SizeClassResult(
        "mid", "; ".join([*failures, _("not in a mutual-investment-restricted group, so mid-sized")])
    )
