"""The eligibility rule book (DESIGN.md §3) as pure functions: no database needed."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from competitions.eligibility import (
    RULE_KINDS,
    ApplicationFacts,
    Party,
    RuleResult,
    evaluate,
    failures,
    kind_choices,
    validate_params,
)

M = 1_000_000


def party(name="Nuri Mobility", kind="company", size_class="sme", share="100", lead=False, sanction=""):
    return Party(
        name=name,
        kind=kind,
        size_class=size_class,
        budget_share_percent=Decimal(share),
        is_lead=lead,
        active_sanction=sanction,
    )


def make_facts(lead=None, members=(), **overrides):
    """An SME-led application that passes every default rule of the pilot-city call:
    300 M subsidy of a 400 M total (75%), cash 10 M of 100 M private (10%)."""
    values = {
        "requested_subsidy": 300 * M,
        "local_government": 0,
        "private_cash": 10 * M,
        "private_in_kind": 90 * M,
        "subsidy_min": 50 * M,
        "subsidy_max": 300 * M,
        "document_kinds": frozenset({"proposal", "business_registration"}),
    }
    values.update(overrides)
    return ApplicationFacts(parties=(lead or party(lead=True), *members), **values)


def run(kind, facts, **params):
    [result] = evaluate([(kind, params)], facts)
    return result


# -- The snapshot ------------------------------------------------------------------------------


def test_facts_give_lead_members_and_total_cost():
    member = party("Daehan Corp.", size_class="large", share="20")
    facts = make_facts(members=[member], local_government=5 * M)
    assert facts.lead.name == "Nuri Mobility"
    assert facts.members == (member,)
    assert facts.total_cost == 405 * M


def test_facts_must_start_with_the_lead():
    with pytest.raises(ValueError):
        ApplicationFacts(
            parties=(party(),),
            requested_subsidy=0,
            local_government=0,
            private_cash=0,
            private_in_kind=0,
            subsidy_min=0,
            subsidy_max=0,
        )


# -- allowed_applicants ------------------------------------------------------------------------


def test_allowed_applicants_passes_an_allowed_lead():
    result = run("allowed_applicants", make_facts(), kinds=["company"], size_classes=["sme", "mid"])
    assert result == RuleResult(
        "allowed_applicants", "Allowed applicants", True, "The lead (company, SME) may apply."
    )


def test_allowed_applicants_refuses_a_kind_not_listed():
    lead = party("Hanbit University", kind="university", size_class=None, lead=True)
    result = run("allowed_applicants", make_facts(lead), kinds=["company", "local_government"])
    assert not result.passed
    assert result.reason == "The lead is a university; this call accepts company, local government."


def test_allowed_applicants_refuses_a_size_class_not_listed():
    lead = party("Daehan Corp.", size_class="large", lead=True)
    result = run("allowed_applicants", make_facts(lead), size_classes=["sme", "mid"])
    assert not result.passed
    assert result.reason == "The lead's size class is large; this call accepts SME, mid-sized."


def test_allowed_applicants_refuses_an_unknown_size_class_when_classes_are_listed():
    lead = party(size_class=None, lead=True)
    result = run("allowed_applicants", make_facts(lead), size_classes=["sme"])
    assert not result.passed
    assert result.reason == "The lead's size class is unknown size class; this call accepts SME."


def test_allowed_applicants_with_empty_lists_allows_anyone():
    lead = party("Sejong City", kind="local_government", size_class=None, lead=True)
    result = run("allowed_applicants", make_facts(lead))
    assert result.passed
    assert result.reason == "The lead (local government) may apply."


# -- lead_is_sme -------------------------------------------------------------------------------


def test_lead_is_sme_passes_an_sme():
    result = run("lead_is_sme", make_facts())
    assert result.passed
    assert result.label == "Lead is an SME"
    assert result.reason == "The lead Nuri Mobility is an SME."


def test_lead_is_sme_refuses_a_mid_sized_lead():
    result = run("lead_is_sme", make_facts(party("Hanul Corp.", size_class="mid", lead=True)))
    assert not result.passed
    assert result.reason == "The lead Hanul Corp. is not an SME (size class: mid-sized)."


def test_lead_is_sme_refuses_an_unknown_size_class():
    result = run("lead_is_sme", make_facts(party("Hanul Corp.", size_class=None, lead=True)))
    assert not result.passed
    assert result.reason == "The size class of the lead Hanul Corp. is unknown; the lead must be an SME."


# -- large_company_share -----------------------------------------------------------------------


def test_large_company_share_passes_without_large_companies():
    result = run("large_company_share", make_facts())
    assert result.passed
    assert result.reason == "No large company takes part."


def test_large_member_with_exactly_30_percent_passes():
    member = party("Daehan Corp.", size_class="large", share="30.00")
    result = run("large_company_share", make_facts(members=[member]))
    assert result.passed
    assert result.reason == (
        "Each large company is a consortium member with at most 30% of the budget: Daehan Corp. (30%)."
    )


def test_large_member_with_30_01_percent_fails():
    member = party("Daehan Corp.", size_class="large", share="30.01")
    result = run("large_company_share", make_facts(members=[member]))
    assert not result.passed
    assert (
        result.reason == "Daehan Corp. is a large company with 30.01% of the budget, above the limit of 30%."
    )


def test_large_member_just_above_the_limit_never_reads_as_the_limit():
    member = party("Daehan Corp.", size_class="large", share="30.001")
    result = run("large_company_share", make_facts(members=[member]))
    assert not result.passed
    assert "with 30.01% of the budget" in result.reason


def test_large_lead_fails():
    lead = party("Daehan Corp.", size_class="large", share="60", lead=True)
    result = run("large_company_share", make_facts(lead))
    assert not result.passed
    assert result.reason == (
        "The lead Daehan Corp. is a large company; a large company may only join as a consortium member."
    )


def test_large_company_share_limit_is_a_parameter():
    member = party("Daehan Corp.", size_class="large", share="29.5")
    result = run("large_company_share", make_facts(members=[member]), max_percent=25)
    assert (
        result.reason == "Daehan Corp. is a large company with 29.5% of the budget, above the limit of 25%."
    )


# -- subsidy_range -----------------------------------------------------------------------------


def test_subsidy_exactly_at_the_maximum_passes():
    result = run("subsidy_range", make_facts())
    assert result.passed
    assert result.reason == (
        "The requested subsidy 300,000,000 KRW is within the range of 50,000,000 KRW to 300,000,000 KRW."
    )


def test_subsidy_exactly_at_the_minimum_passes():
    result = run("subsidy_range", make_facts(requested_subsidy=50 * M))
    assert result.passed


def test_subsidy_above_the_maximum_fails():
    result = run("subsidy_range", make_facts(requested_subsidy=320 * M))
    assert not result.passed
    assert result.reason == "The requested subsidy 320,000,000 KRW is above the maximum of 300,000,000 KRW."


def test_subsidy_below_the_minimum_fails():
    result = run("subsidy_range", make_facts(requested_subsidy=50 * M - 1))
    assert not result.passed
    assert result.reason == "The requested subsidy 49,999,999 KRW is below the minimum of 50,000,000 KRW."


# -- matching_funds ----------------------------------------------------------------------------


def test_government_share_of_exactly_75_percent_and_cash_of_exactly_10_percent_pass():
    result = run("matching_funds", make_facts())
    assert result.passed
    assert result.reason == (
        "The government share is 75% of the total cost of 400,000,000 KRW (at most 75% for SME leads). "
        "Cash is 10% of the private contribution of 100,000,000 KRW (at least 10% for SME leads)."
    )


def test_government_share_of_75_01_percent_fails():
    facts = make_facts(
        requested_subsidy=290 * M,
        local_government=10_040_000,
        private_cash=15 * M,
        private_in_kind=84_960_000,
    )
    result = run("matching_funds", facts)
    assert not result.passed
    assert result.reason == (
        "The government share is 75.01% of the total cost of 400,000,000 KRW, above the limit of 75% for SME leads. "
        "Cash is 15.01% of the private contribution of 99,960,000 KRW (at least 10% for SME leads)."
    )


def test_government_share_just_above_the_cap_is_shown_above_it():
    # 75.001% fails; rounded half-up it would read "75%", so a failing share is rounded up.
    facts = make_facts(
        requested_subsidy=750_010_000, subsidy_max=10**9, private_cash=50 * M, private_in_kind=199_990_000
    )
    result = run("matching_funds", facts)
    assert not result.passed
    assert result.reason.startswith(
        "The government share is 75.01% of the total cost of 1,000,000,000 KRW, above"
    )


def test_cash_below_the_minimum_fails():
    facts = make_facts(private_cash=9_990_000, private_in_kind=90_010_000)
    result = run("matching_funds", facts)
    assert not result.passed
    assert result.reason == (
        "The government share is 75% of the total cost of 400,000,000 KRW (at most 75% for SME leads). "
        "Cash is 9.99% of the private contribution of 100,000,000 KRW, below the minimum of 10% for SME leads."
    )


def test_matching_funds_uses_the_lead_size_class():
    # A mid-sized lead: at most 70% government share, at least 13% cash.
    lead = party("Hanul Corp.", size_class="mid", lead=True)
    facts = make_facts(lead, requested_subsidy=280 * M, private_cash=15 * M, private_in_kind=105 * M)
    result = run("matching_funds", facts)
    assert not result.passed
    assert result.reason == (
        "The government share is 70% of the total cost of 400,000,000 KRW (at most 70% for mid-sized leads). "
        "Cash is 12.5% of the private contribution of 120,000,000 KRW, below the minimum of 13% for mid-sized leads."
    )


def test_matching_funds_does_not_apply_to_a_public_lead():
    lead = party("K-Water", kind="public_institution", size_class="public", lead=True)
    result = run("matching_funds", make_facts(lead, private_cash=0, private_in_kind=0))
    assert result.passed
    assert result.reason == "No matching-fund ratio applies to a public lead."


def test_matching_funds_does_not_apply_to_an_unclassified_university():
    lead = party("Hanbit University", kind="university", size_class=None, lead=True)
    result = run("matching_funds", make_facts(lead))
    assert result.passed
    assert result.reason == "No matching-fund ratio applies to a university lead."


def test_matching_funds_fails_for_a_company_of_unknown_size():
    result = run("matching_funds", make_facts(party(size_class=None, lead=True)))
    assert not result.passed
    assert result.reason == "The lead's size class is unknown, so the matching-fund ratio cannot be chosen."


def test_matching_funds_fails_on_an_empty_funding_plan():
    facts = make_facts(requested_subsidy=0, private_cash=0, private_in_kind=0)
    result = run("matching_funds", facts)
    assert not result.passed
    assert result.reason == "The funding plan is empty."


def test_matching_funds_without_private_contribution_checks_the_government_share_only():
    lead = party("Hanul Corp.", size_class="mid", lead=True)
    facts = make_facts(lead, private_cash=0, private_in_kind=0)
    result = run("matching_funds", facts, government_share_max={"mid": 100}, cash_min_of_private={"mid": 13})
    assert result.passed
    assert result.reason == (
        "The government share is 100% of the total cost of 300,000,000 KRW (at most 100% for mid-sized leads). "
        "There is no private contribution, so no cash minimum applies."
    )


# -- national_share ----------------------------------------------------------------------------


def challenge_facts(requested, local):
    lead = party("Sejong City", kind="local_government", size_class=None, lead=True)
    return make_facts(
        lead, requested_subsidy=requested, local_government=local, private_cash=0, private_in_kind=0
    )


def test_national_share_of_exactly_50_percent_passes():
    result = run("national_share", challenge_facts(1_500 * M, 1_500 * M))
    assert result.passed
    assert (
        result.reason == "The national subsidy is 50% of the total cost of 3,000,000,000 KRW (at most 50%)."
    )


def test_national_share_above_50_percent_fails():
    result = run("national_share", challenge_facts(1_500 * M, 1_499_400_000))
    assert not result.passed
    assert result.reason == (
        "The national subsidy is 50.01% of the total cost of 2,999,400,000 KRW, above the limit of 50%."
    )


def test_national_share_fails_on_an_empty_funding_plan():
    result = run("national_share", challenge_facts(0, 0))
    assert not result.passed
    assert result.reason == "The funding plan is empty."


# -- consortium_includes -----------------------------------------------------------------------


def test_consortium_includes_a_company():
    members = [party("Nuri Mobility", share="30"), party("Hanbit University", kind="university", share="10")]
    lead = party("Sejong City", kind="local_government", size_class=None, share="60", lead=True)
    result = run("consortium_includes", make_facts(lead, members=members))
    assert result.passed
    assert (
        result.reason
        == "The consortium has 1 member of the required kinds (company) besides the lead: Nuri Mobility."
    )


def test_consortium_without_a_company_fails_and_the_lead_does_not_count():
    members = [party("Hanbit University", kind="university", size_class=None, share="10")]
    result = run("consortium_includes", make_facts(members=members))
    assert not result.passed
    assert result.reason == (
        "The consortium needs at least 1 member of the required kinds (company) besides the lead; it has 0."
    )


def test_consortium_includes_counts_several_kinds_against_min_count():
    members = [party("Sejong City", kind="local_government", size_class=None, share="10")]
    result = run(
        "consortium_includes",
        make_facts(members=members),
        kinds=["local_government", "university"],
        min_count=2,
    )
    assert not result.passed
    assert result.reason == (
        "The consortium needs at least 2 members of the required kinds (local government, university) besides the lead; it has 1."
    )


def test_consortium_includes_with_no_kinds_counts_any_member():
    members = [party("A", share="10"), party("B", kind="nonprofit", size_class="nonprofit", share="10")]
    result = run("consortium_includes", make_facts(members=members), kinds=[], min_count=2)
    assert result.passed
    assert (
        result.reason
        == "The consortium has 2 members of the required kinds (any kind) besides the lead: A, B."
    )


# -- previous_stage_selected -------------------------------------------------------------------


def test_previous_stage_passes_when_the_call_has_none():
    result = run("previous_stage_selected", make_facts())
    assert result.passed
    assert result.reason == "This call has no previous stage."


def test_previous_stage_passes_when_the_lead_was_selected():
    facts = make_facts(
        previous_stage_title="Smart City Challenge 2022 (preliminary)", selected_in_previous_stage=True
    )
    result = run("previous_stage_selected", facts)
    assert result.passed
    assert (
        result.reason
        == "The lead was selected in the previous stage “Smart City Challenge 2022 (preliminary)”."
    )


def test_previous_stage_fails_when_the_lead_was_not_selected():
    facts = make_facts(previous_stage_title="Smart City Challenge 2022 (preliminary)")
    result = run("previous_stage_selected", facts)
    assert not result.passed
    assert result.reason == (
        "The lead was not selected in the previous stage “Smart City Challenge 2022 (preliminary)”."
    )


# -- no_active_sanction ------------------------------------------------------------------------


def test_no_active_sanction_passes():
    result = run("no_active_sanction", make_facts(members=[party("Daehan Corp.", share="20")]))
    assert result.passed
    assert result.reason == "No organisation of the application is under an active participation restriction."


def test_active_sanctions_are_named_with_their_reasons():
    lead = party(lead=True, sanction="misuse of subsidy, until 2023-06-30")
    members = [party("Clean Corp.", share="10"), party("Daehan Corp.", share="20", sanction="false report")]
    result = run("no_active_sanction", make_facts(lead, members=members))
    assert not result.passed
    assert result.reason == (
        "Nuri Mobility is under an active participation restriction (misuse of subsidy, until 2023-06-30). "
        "Daehan Corp. is under an active participation restriction (false report)."
    )


# -- required_documents ------------------------------------------------------------------------


def test_required_documents_pass_when_attached():
    result = run("required_documents", make_facts(), kinds=["proposal", "business_registration"])
    assert result.passed
    assert (
        result.reason == "All required documents are attached: proposal, business registration certificate."
    )


def test_required_documents_list_what_is_missing():
    facts = make_facts(document_kinds=frozenset({"business_registration"}))
    result = run("required_documents", facts, kinds=["proposal", "financial_statements", "other"])
    assert not result.passed
    assert result.reason == "Missing documents: proposal, financial statements, other attachment."


def test_required_documents_default_to_the_proposal():
    result = run("required_documents", make_facts(document_kinds=frozenset()))
    assert result.reason == "Missing documents: proposal."


def test_no_required_documents_passes():
    result = run("required_documents", make_facts(document_kinds=frozenset()), kinds=[])
    assert result.passed
    assert result.reason == "No documents are required."


# -- evaluate and failures ---------------------------------------------------------------------

PILOT_CITY_RULES = [
    ("lead_is_sme", {}),
    ("large_company_share", {"max_percent": 30}),
    ("subsidy_range", {}),
    ("matching_funds", {}),
    ("required_documents", {"kinds": ["proposal", "business_registration"]}),
    ("no_active_sanction", {}),
]


def test_evaluate_returns_results_in_configured_order():
    results = evaluate(PILOT_CITY_RULES, make_facts())
    assert [result.kind for result in results] == [kind for kind, _params in PILOT_CITY_RULES]
    assert all(result.passed for result in results)
    assert failures(results) == []


def test_failures_keeps_only_failed_results_in_order():
    facts = make_facts(requested_subsidy=320 * M, document_kinds=frozenset())
    results = evaluate(reversed(PILOT_CITY_RULES), facts)
    assert [result.kind for result in failures(results)] == [
        "required_documents",
        "matching_funds",
        "subsidy_range",
    ]


def test_evaluate_reports_a_misconfigured_rule_as_failed_instead_of_crashing():
    results = evaluate([("national_share", {"max_percent": 120}), ("lottery", {})], make_facts())
    assert [(r.kind, r.label, r.passed) for r in results] == [
        ("national_share", "National share", False),
        ("lottery", "lottery", False),
    ]
    assert (
        results[0].reason == "This rule is misconfigured: “max_percent” must be between 0 and 100 (got 120)."
    )
    assert results[1].reason == "This rule is misconfigured: Unknown eligibility rule kind “lottery”."


# -- The duplicate-funding rules: no_active_project_in_field, max_concurrent_projects ----------


def busy(name, projects, lead=False, share="100"):
    """A party taking part in ``projects`` running national projects ((code, field name))."""
    base = party(name, share=share, lead=lead)
    return Party(**{**base.__dict__, "live_projects": tuple(projects)})


def test_no_project_in_field_passes_when_the_running_projects_are_in_other_fields():
    lead = busy("Nuri Mobility", [("P-2025-001", "Safety")], lead=True)
    result = run("no_active_project_in_field", make_facts(lead=lead, service_field="Mobility"))
    assert result.passed
    assert result.reason == (
        "No organisation of the application takes part in a running project in the service field “Mobility”."
    )


def test_no_project_in_field_fails_naming_the_member_and_its_project():
    lead = busy("Nuri Mobility", [("P-2025-001", "Safety")], lead=True)
    member = busy("Daehan Corp.", [("P-2024-007", "Mobility"), ("P-2025-003", "Energy")], share="20")
    result = run(
        "no_active_project_in_field", make_facts(lead=lead, members=[member], service_field="Mobility")
    )
    assert not result.passed
    assert result.reason == (
        "Daehan Corp. takes part in the running project P-2024-007 (Mobility) in the same service field “Mobility”."
    )


def test_no_project_in_field_fails_when_the_application_names_no_field():
    result = run("no_active_project_in_field", make_facts())
    assert not result.passed
    assert "names no service field" in result.reason


def test_concurrent_projects_pass_below_the_limit_counting_this_one():
    lead = busy("Nuri Mobility", [("P-2025-001", "Safety")], lead=True)
    result = run("max_concurrent_projects", make_facts(lead=lead), max_projects=2)
    assert result.passed
    assert result.reason == (
        "Each organisation takes part in at most 1 running national projects besides this one; "
        "the limit is 2 at a time, this one included."
    )


def test_concurrent_projects_fail_at_the_limit_with_the_count_and_the_projects():
    lead = busy("Nuri Mobility", [("P-2025-001", "Safety"), ("P-2025-002", "Energy")], lead=True)
    member = busy("Daehan Corp.", [], share="20")
    result = run("max_concurrent_projects", make_facts(lead=lead, members=[member]), max_projects=2)
    assert not result.passed
    assert result.reason == (
        "Nuri Mobility already takes part in 2 running national projects (P-2025-001 (Safety), "
        "P-2025-002 (Energy)); with this one it would exceed the limit of 2 at a time."
    )
    assert run("max_concurrent_projects", make_facts(lead=lead), max_projects=3).passed


def test_concurrent_projects_limit_must_be_a_positive_whole_number():
    assert validate_params("max_concurrent_projects", None) == {"max_projects": 2}
    with pytest.raises(ValidationError) as error:
        validate_params("max_concurrent_projects", {"max_projects": 0})
    assert error.value.messages == ["“max_projects” must be a whole number of at least 1 (got 0)."]


# -- validate_params and the registry ----------------------------------------------------------


def test_kind_choices_lists_every_rule_kind_staff_may_choose():
    assert [code for code, _label in kind_choices()] == [
        "allowed_applicants",
        "lead_is_sme",
        "large_company_share",
        "subsidy_range",
        "matching_funds",
        "national_share",
        "consortium_includes",
        "previous_stage_selected",
        "no_active_sanction",
        "no_active_project_in_field",
        "max_concurrent_projects",
        "required_documents",
        "lead_government_level",
        "question_answer",
    ]
    assert dict(kind_choices())["matching_funds"] == "Matching funds"
    assert all(kind.automatic and str(kind.description) for kind in RULE_KINDS.values())


def test_validate_params_merges_defaults():
    assert validate_params("consortium_includes", {"min_count": 2}) == {"kinds": ["company"], "min_count": 2}
    assert validate_params("matching_funds", None) == {
        "government_share_max": {"sme": 75, "mid": 70, "large": 50},
        "cash_min_of_private": {"sme": 10, "mid": 13, "large": 15},
    }
    assert validate_params("subsidy_range", {}) == {}


def test_validate_params_does_not_share_the_defaults():
    params = validate_params("required_documents", {})
    params["kinds"].append("other")
    assert validate_params("required_documents", {}) == {"kinds": ["proposal"]}


def test_validate_params_accepts_decimal_percentages():
    assert validate_params("large_company_share", {"max_percent": 29.5}) == {"max_percent": 29.5}


def test_validate_params_rejects_an_unknown_kind():
    with pytest.raises(ValidationError) as caught:
        validate_params("lottery", {})
    assert caught.value.messages == ["Unknown eligibility rule kind “lottery”."]


@pytest.mark.parametrize(
    ("kind", "params", "message"),
    [
        ("large_company_share", {"max_percent": -1}, "“max_percent” must be between 0 and 100 (got -1)."),
        ("national_share", {"max_percent": 100.5}, "“max_percent” must be between 0 and 100 (got 100.5)."),
        ("national_share", {"max_percent": "50"}, "“max_percent” must be a number (got '50')."),
        ("national_share", {"max_percent": True}, "“max_percent” must be a number (got True)."),
        (
            "matching_funds",
            {"government_share_max": {"sme": 175}},
            "“government_share_max.sme” must be between 0 and 100 (got 175).",
        ),
        (
            "matching_funds",
            {"cash_min_of_private": 10},
            "“cash_min_of_private” must map size classes to percentages.",
        ),
        (
            "matching_funds",
            {"cash_min_of_private": {"tiny": 10}},
            "“cash_min_of_private” names an unknown size class “tiny”; known: sme, mid, large, public, nonprofit.",
        ),
        ("allowed_applicants", {"kinds": "company"}, "“kinds” must be a list of codes."),
        (
            "allowed_applicants",
            {"kinds": ["startup"]},
            "“kinds” contains an unknown code “startup”; known: company, university, local_government, "
            "public_institution, nonprofit.",
        ),
        (
            "consortium_includes",
            {"min_count": 0},
            "“min_count” must be a whole number of at least 1 (got 0).",
        ),
        (
            "consortium_includes",
            {"min_count": 1.5},
            "“min_count” must be a whole number of at least 1 (got 1.5).",
        ),
        ("required_documents", {"kinds": [1]}, "“kinds” must be a list of codes."),
        (
            "national_share",
            {"max_pct": 50},
            "Unknown parameter “max_pct” for the rule “national_share”; expected: max_percent.",
        ),
        (
            "lead_is_sme",
            {"strict": True},
            "Unknown parameter “strict” for the rule “lead_is_sme”; expected: none.",
        ),
        ("lead_is_sme", ["strict"], "The parameters of “lead_is_sme” must be a mapping of names to values."),
    ],
)
def test_validate_params_rejects_bad_values_naming_the_parameter(kind, params, message):
    with pytest.raises(ValidationError) as caught:
        validate_params(kind, params)
    assert caught.value.messages == [message]


def test_validate_params_reports_every_bad_parameter():
    with pytest.raises(ValidationError) as caught:
        validate_params("consortium_includes", {"kinds": "company", "min_count": -1})
    assert caught.value.messages == [
        "“kinds” must be a list of codes.",
        "“min_count” must be a whole number of at least 1 (got -1).",
    ]
