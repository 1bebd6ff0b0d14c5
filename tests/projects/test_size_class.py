"""The size-class rules of the Framework Act on SMEs, as DESIGN.md states them. No database."""

import datetime
from decimal import Decimal

import pytest

from projects import size_class
from projects.size_class import BAND_TABLES, CompanyFacts, Industry, band_table_on, bn, classify

BN = 1_000_000_000
BEFORE_2025 = datetime.date(2024, 6, 1)  # a date when the 2015 bands are in force

# The test's own copy of Annex 1 (simplified), in bn KRW, as in force from 2015.
BANDS_2015 = {
    Industry.MANUFACTURING_150: 150,
    Industry.AGRICULTURE: 100,
    Industry.MANUFACTURING_100: 100,
    Industry.ELECTRICITY_GAS: 100,
    Industry.CONSTRUCTION: 100,
    Industry.WHOLESALE_RETAIL: 100,
    Industry.MINING: 80,
    Industry.MANUFACTURING_80: 80,
    Industry.WATER_WASTE: 80,
    Industry.TRANSPORT: 80,
    Industry.ICT: 80,
    Industry.PROFESSIONAL_SCIENTIFIC: 60,
    Industry.BUSINESS_FACILITIES: 60,
    Industry.HEALTH_SOCIAL: 60,
    Industry.ARTS_SPORTS: 60,
    Industry.REPAIR_PERSONAL: 60,
    Industry.MACHINERY_REPAIR: 60,
    Industry.ACCOMMODATION_FOOD: 40,
    Industry.FINANCE_INSURANCE: 40,
    Industry.REAL_ESTATE: 40,
    Industry.RENTAL: 40,
    Industry.EDUCATION: 40,
}


def company(industry=Industry.ICT, sales=(50 * BN,), assets=100 * BN, **more):
    return CompanyFacts(
        kind="company", industry=industry, sales_last_3_years=list(sales), total_assets=assets, **more
    )


def test_bn_shows_billions_with_one_decimal_rounded_half_up():
    assert bn(62_100_000_000) == "62.1"
    assert bn(62_149_999_999) == "62.1"
    assert bn(62_150_000_000) == "62.2"
    assert bn(1_234_550_000_000) == "1,234.6"
    assert bn(0) == "0.0"


def test_every_industry_has_a_band_in_every_table():
    assert set(BANDS_2015) == set(Industry)
    for table in BAND_TABLES:
        assert set(table.sales_caps) == set(Industry.values)


@pytest.mark.parametrize(("industry", "band"), BANDS_2015.items())
def test_sales_at_the_band_is_an_sme(industry, band):
    result = classify(company(industry, sales=[band * BN]), on=BEFORE_2025)
    assert result.code == "sme"
    assert result.reason == (
        f"average sales {band}.0 bn KRW ≤ {band} bn band for {industry.label}; assets below 500 bn"
    )


@pytest.mark.parametrize(("industry", "band"), BANDS_2015.items())
def test_sales_above_the_band_is_not_an_sme(industry, band):
    result = classify(company(industry, sales=[band * BN + 1]), on=BEFORE_2025)
    assert result.code == "mid"
    assert result.reason.startswith(f"average sales {band}.0 bn KRW > {band} bn band for {industry.label}; ")


def test_ict_and_transport_share_the_80_bn_band():
    for industry in (Industry.ICT, Industry.TRANSPORT):
        assert classify(company(industry, sales=[80 * BN]), on=BEFORE_2025).code == "sme"
        assert classify(company(industry, sales=[80 * BN + 1]), on=BEFORE_2025).code == "mid"


def test_sales_are_averaged_over_the_years_given():
    result = classify(company(Industry.ICT, sales=[50 * BN, 70 * BN, 66_300_000_000]), on=BEFORE_2025)
    assert result.code == "sme"
    assert result.reason == (
        "average sales 62.1 bn KRW ≤ 80 bn band for Information and communication; assets below 500 bn"
    )


def test_one_year_over_the_band_is_fine_if_the_average_is_not():
    assert classify(company(Industry.ICT, sales=[90 * BN, 70 * BN]), on=BEFORE_2025).code == "sme"


def test_an_average_a_fraction_of_a_won_over_the_band_is_over_it():
    result = classify(company(Industry.ICT, sales=[80 * BN, 80 * BN, 80 * BN + 1]), on=BEFORE_2025)
    assert result.code == "mid"


def test_ninety_bn_in_ict_reads_as_over_the_band_and_mid_sized():
    result = classify(company(Industry.ICT, sales=[90 * BN]), on=BEFORE_2025)
    assert result.code == "mid"
    assert result.reason == (
        "average sales 90.0 bn KRW > 80 bn band for Information and communication; "
        "not in a mutual-investment-restricted group, so mid-sized"
    )


def test_assets_just_below_500_bn_are_fine():
    assert classify(company(assets=499_999_999_999), on=BEFORE_2025).code == "sme"


def test_assets_of_500_bn_reach_the_cap():
    result = classify(company(assets=500_000_000_000), on=BEFORE_2025)
    assert result.code == "mid"
    assert result.reason.startswith("total assets 500.0 bn KRW reach the 500 bn cap; ")


def test_a_30_percent_owner_with_500_bn_of_assets_breaks_independence():
    result = classify(
        company(largest_shareholder_share_percent=30, largest_shareholder_assets=500 * BN), on=BEFORE_2025
    )
    assert result.code == "mid"
    assert "largest shareholder owns 30% and has assets of 500.0 bn KRW (≥ 500 bn)" in result.reason


def test_the_owner_is_named_with_their_share_and_assets():
    result = classify(
        company(largest_shareholder_share_percent=35, largest_shareholder_assets=600 * BN), on=BEFORE_2025
    )
    assert result.reason == (
        "largest shareholder owns 35% and has assets of 600.0 bn KRW (≥ 500 bn); "
        "not in a mutual-investment-restricted group, so mid-sized"
    )


@pytest.mark.parametrize(
    ("share", "owner_assets"),
    [
        (Decimal("29.99"), 600 * BN),  # a large owner, but under 30 %
        (30, 499 * BN),  # 30 %, but the owner is under 500 bn
        (100, None),  # a person, or an owner without reportable assets
    ],
)
def test_owners_below_either_threshold_leave_the_company_independent(share, owner_assets):
    facts = company(largest_shareholder_share_percent=share, largest_shareholder_assets=owner_assets)
    assert classify(facts, on=BEFORE_2025).code == "sme"


def test_a_member_of_a_disclosed_large_group_is_not_an_sme():
    result = classify(company(in_disclosed_large_group=True), on=BEFORE_2025)
    assert result.code == "mid"
    assert result.reason == (
        "member of a disclosed business group with assets of 5 trillion KRW or more; "
        "not in a mutual-investment-restricted group, so mid-sized"
    )


def test_a_mutual_investment_restricted_group_makes_a_non_sme_large():
    result = classify(
        company(sales=[90 * BN], in_disclosed_large_group=True, in_mutual_investment_restricted_group=True),
        on=BEFORE_2025,
    )
    assert result.code == "large"
    assert result.reason.endswith(
        "member of a disclosed business group with assets of 5 trillion KRW or more; "
        "in a mutual-investment-restricted group, so large"
    )


def test_a_mutual_investment_restricted_group_is_itself_a_disclosed_group():
    result = classify(company(in_mutual_investment_restricted_group=True), on=BEFORE_2025)
    assert result.code == "large"
    assert result.reason.startswith("member of a disclosed business group")


def test_every_failed_test_is_named_in_order():
    facts = company(
        sales=[120 * BN],
        assets=700 * BN,
        largest_shareholder_share_percent=Decimal("45.50"),
        largest_shareholder_assets=2_000 * BN,
        in_disclosed_large_group=True,
    )
    assert classify(facts, on=BEFORE_2025).reason == (
        "average sales 120.0 bn KRW > 80 bn band for Information and communication; "
        "total assets 700.0 bn KRW reach the 500 bn cap; "
        "largest shareholder owns 45.5% and has assets of 2,000.0 bn KRW (≥ 500 bn); "
        "member of a disclosed business group with assets of 5 trillion KRW or more; "
        "not in a mutual-investment-restricted group, so mid-sized"
    )


@pytest.mark.parametrize(
    ("kind", "code", "reason"),
    [
        ("local_government", "public", "Declared as a public body."),
        ("public_institution", "public", "Declared as a public body."),
        ("nonprofit", "nonprofit", "Declared as a non-profit organisation."),
        ("university", "nonprofit", "Declared as a non-profit organisation."),
    ],
)
def test_public_and_non_profit_kinds_are_declared_not_measured(kind, code, reason):
    facts = CompanyFacts(kind=kind, industry=None, sales_last_3_years=[], total_assets=None)
    result = classify(facts, on=BEFORE_2025)
    assert (result.code, result.reason) == (code, reason)


@pytest.mark.parametrize(
    "facts",
    [
        company(industry=None),
        company(industry="fishing_boats"),
        company(sales=[]),
        company(sales=[BN, BN, BN, BN]),
        company(assets=None),
        CompanyFacts(kind="cooperative", industry=None, sales_last_3_years=[], total_assets=None),
    ],
)
def test_a_company_without_its_figures_cannot_be_classified(facts):
    with pytest.raises(ValueError):
        classify(facts, on=BEFORE_2025)


AMENDED = datetime.date(2030, 1, 1)


@pytest.fixture
def amended_tables(monkeypatch):
    """A made-up amendment raising transport to 100 bn from 2030, to test the date lookup."""
    first = BAND_TABLES[0]
    amended = size_class.BandTable(
        effective_from=AMENDED, sales_caps={**first.sales_caps, Industry.TRANSPORT.value: 100 * BN}
    )
    monkeypatch.setattr(size_class, "BAND_TABLES", (first, amended))


def test_band_tables_are_looked_up_by_date(amended_tables):
    assert band_table_on(datetime.date(2015, 1, 1)).effective_from == datetime.date(2015, 1, 1)
    assert band_table_on(datetime.date(2029, 12, 31)).effective_from == datetime.date(2015, 1, 1)
    assert band_table_on(AMENDED).effective_from == AMENDED
    assert band_table_on(datetime.date(2040, 1, 1)).effective_from == AMENDED


def test_ict_and_transport_are_80_bn_today():
    for industry in (Industry.ICT, Industry.TRANSPORT):
        assert classify(company(industry, sales=[80 * BN])).code == "sme"
        assert classify(company(industry, sales=[80 * BN + 1])).code == "mid"


def test_no_band_table_before_the_first_version():
    with pytest.raises(ValueError):
        band_table_on(datetime.date(2014, 12, 31))
    with pytest.raises(ValueError):
        classify(company(), on=datetime.date(2014, 12, 31))


def test_an_amendment_applies_from_its_date(amended_tables):
    transport = company(Industry.TRANSPORT, sales=[100 * BN])
    assert classify(transport, on=datetime.date(2029, 12, 31)).code == "mid"
    result = classify(transport, on=AMENDED)
    assert result.code == "sme"
    assert "≤ 100 bn band for Transportation and storage" in result.reason
    assert classify(company(Industry.ICT, sales=[100 * BN]), on=AMENDED).code == "mid"


def test_the_default_date_is_today_in_seoul(monkeypatch, amended_tables):
    transport = company(Industry.TRANSPORT, sales=[90 * BN])
    monkeypatch.setattr(size_class.timezone, "localdate", lambda: datetime.date(2029, 12, 31))
    assert classify(transport).code == "mid"
    monkeypatch.setattr(size_class.timezone, "localdate", lambda: AMENDED)
    assert classify(transport).code == "sme"


def test_the_reason_reads_in_korean_with_eok_amounts():
    from django.utils import translation

    with translation.override("ko"):
        result = classify(company(Industry.ICT, sales=[50 * BN, 70 * BN, 66_300_000_000]), on=BEFORE_2025)
    assert result.code == "sme"
    assert "621억 원" in result.reason and "800억 원" in result.reason and "5,000억 원" in result.reason
