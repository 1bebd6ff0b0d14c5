"""Eligibility rules (DESIGN.md §3): pure functions over a plain snapshot of an application.

A rule kind is registered with ``@rule(...)``; a Call or Track configures rules as (kind, params)
pairs and ``evaluate`` runs them in order. Each check gets the facts and its validated params
(defaults merged) and returns a RuleResult whose reason, in the active language, always says
why, with the numbers. No ORM here: an adapter in ``projects`` builds ApplicationFacts.

Percentages are compared exactly (Decimal and cross-multiplication); they are rounded only for
display, and a failing value is rounded away from its limit so that "75%" never fails a 75% cap.
"""

import copy
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_UP, Decimal

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from competitions.formatting import format_krw
from competitions.matching import MatchingRatio, local_matching_problem, local_matching_reason

KIND_LABELS = {
    "company": gettext_lazy("company"),
    "university": gettext_lazy("university"),
    "local_government": gettext_lazy("local government"),
    "public_institution": gettext_lazy("public institution"),
    "nonprofit": gettext_lazy("non-profit organisation"),
}
SIZE_CLASS_LABELS = {
    "sme": gettext_lazy("SME"),
    "mid": gettext_lazy("mid-sized"),
    "large": gettext_lazy("large"),
    "public": gettext_lazy("public"),
    "nonprofit": gettext_lazy("non-profit"),
}
DOCUMENT_KIND_LABELS = {
    "proposal": gettext_lazy("proposal"),
    "business_registration": gettext_lazy("business registration certificate"),
    "financial_statements": gettext_lazy("financial statements"),
    "consortium_agreement": gettext_lazy("consortium agreement"),
    "other": gettext_lazy("other attachment"),
}

GOVERNMENT_LEVEL_LABELS = {
    "metropolitan": gettext_lazy("metropolitan local government"),
    "basic": gettext_lazy("basic local government"),
}


# -- The snapshot ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Party:
    """One organisation of an application."""

    name: str
    kind: str  # a KIND_LABELS code
    size_class: str | None  # a SIZE_CLASS_LABELS code, or None when unknown
    budget_share_percent: Decimal  # share of the total project budget, 0..100
    is_lead: bool
    active_sanction: str = ""  # the reason, when under an active participation restriction
    unverified: bool = False  # a local government or public institution staff have not verified
    government_level: str = ""  # a GOVERNMENT_LEVEL_LABELS code for a local government, else ""
    # The running (active or final-report) national projects it takes part in, as lead or
    # accepted consortium member, other than this application's own: (project code, service
    # field name). Gathered only when a call's rule reads them (projects.eligibility_check).
    live_projects: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class QuestionFacts:
    """One of the call's application questions (competitions.models.Question), as rules read it."""

    code: str
    label: str  # in the active language
    kind: str  # a QuestionKind value
    choices: tuple[tuple[str, str], ...] = ()  # (code, label) of a choice question, in order
    required: bool = False


@dataclass(frozen=True)
class ApplicationFacts:
    parties: tuple[Party, ...]  # lead first
    requested_subsidy: int  # national subsidy requested, KRW
    local_government: int
    private_cash: int
    private_in_kind: int
    subsidy_min: int  # effective minimum for the application's call/track
    subsidy_max: int  # effective maximum (track cap or call maximum)
    previous_stage_title: str | None = None  # None when the call is not a stage 2
    selected_in_previous_stage: bool = False
    document_kinds: frozenset[str] = frozenset()
    # Consortium members proposed but not (yet) accepted, as (name, state label): not parties.
    unaccepted_members: tuple[tuple[str, str], ...] = ()
    # The call's questions by code, and the application's answers by code (stored values:
    # competitions.questions.clean_answer; a file question's answer is True once attached).
    questions: Mapping[str, QuestionFacts] = field(default_factory=dict)
    answers: Mapping[str, object] = field(default_factory=dict)
    # Performance indicators: how many the call requires (0: none) and how many are proposed.
    indicators_required: int = 0
    indicators_proposed: int = 0
    # The call's national:local matching ratio (competitions.matching), None when it sets none.
    matching_ratio: MatchingRatio | None = None
    # The name of the application's service field ("" when it has none): fields are per call,
    # so the same field in two calls is recognised by its name.
    service_field: str = ""

    def __post_init__(self):
        if not self.parties or not self.parties[0].is_lead:
            raise ValueError("ApplicationFacts.parties must start with the lead.")

    @property
    def lead(self) -> Party:
        return self.parties[0]

    @property
    def members(self) -> tuple[Party, ...]:
        return self.parties[1:]

    @property
    def total_cost(self) -> int:
        return self.requested_subsidy + self.local_government + self.private_cash + self.private_in_kind


@dataclass(frozen=True)
class RuleResult:
    kind: str
    label: str  # the rule's name in the active language
    passed: bool
    reason: str  # why it passed or failed, in the active language, with the numbers


@dataclass(frozen=True)
class RuleKind:
    code: str
    label: str  # lazy
    description: str  # lazy; one line for staff in the admin
    default_params: Mapping
    check: Callable[[ApplicationFacts, Mapping], RuleResult]
    automatic: bool = True  # False for rules staff must judge by hand
    param_validators: Mapping[str, Callable[[str, object], object]] = field(default_factory=dict)
    # Checks the merged params against the call's questions ({code: QuestionFacts}), when known.
    question_check: Callable[[Mapping, Mapping], None] | None = None


RULE_KINDS: dict[str, RuleKind] = {}


def rule(code, *, label, description, params=None, automatic=True, question_check=None):
    """Register a check that returns (passed, reason); ``params`` maps each parameter name to
    (default, validator). The registered ``check`` returns a RuleResult."""
    params = params or {}

    def register(function):
        if code in RULE_KINDS:
            raise ValueError(f"Eligibility rule kind {code!r} is registered twice.")

        def check(facts, checked_params, shown_label=None):
            """``shown_label``: the label already translated (prepare), else translated here."""
            passed, reason = function(facts, checked_params)
            shown = str(label) if shown_label is None else shown_label
            return RuleResult(kind=code, label=shown, passed=passed, reason=str(reason))

        RULE_KINDS[code] = RuleKind(
            code=code,
            label=label,
            description=description,
            default_params={name: default for name, (default, _v) in params.items()},
            check=check,
            automatic=automatic,
            param_validators={name: validator for name, (_d, validator) in params.items()},
            question_check=question_check,
        )
        return function

    return register


def kind_choices() -> list[tuple[str, str]]:
    return [(kind.code, kind.label) for kind in RULE_KINDS.values()]


# -- Parameters --------------------------------------------------------------------------------


def _invalid(message, **params):
    return ValidationError(message, code="invalid_params", params=params)


def _percent(name, value):
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        raise _invalid(_("“%(name)s” must be a number (got %(value)r)."), name=name, value=value)
    number = Decimal(str(value))
    if not number.is_finite() or not 0 <= number <= 100:
        raise _invalid(_("“%(name)s” must be between 0 and 100 (got %(value)s)."), name=name, value=value)
    return value


def _percent_by_size_class(name, value):
    if not isinstance(value, Mapping):
        raise _invalid(_("“%(name)s” must map size classes to percentages."), name=name)
    for size_class, percent in value.items():
        if size_class not in SIZE_CLASS_LABELS:
            raise _invalid(
                _("“%(name)s” names an unknown size class “%(code)s”; known: %(known)s."),
                name=name,
                code=size_class,
                known=", ".join(SIZE_CLASS_LABELS),
            )
        _percent(f"{name}.{size_class}", percent)
    return dict(value)


def _codes(known=None):
    """A list of strings; with ``known``, each must be one of its keys."""

    def validate(name, value):
        if not isinstance(value, list | tuple) or not all(isinstance(code, str) for code in value):
            raise _invalid(_("“%(name)s” must be a list of codes."), name=name)
        for code in value:
            if known is not None and code not in known:
                raise _invalid(
                    _("“%(name)s” contains an unknown code “%(code)s”; known: %(known)s."),
                    name=name,
                    code=code,
                    known=", ".join(known),
                )
        return list(value)

    return validate


def _positive_count(name, value):
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise _invalid(
            _("“%(name)s” must be a whole number of at least 1 (got %(value)r)."), name=name, value=value
        )
    return value


def validate_params(kind: str, params: Mapping | None, *, questions: Mapping | None = None) -> dict:
    """The rule's defaults updated with ``params``, checked; raises ValidationError. With
    ``questions`` (the call's, {code: QuestionFacts}), a rule about answers must name one of
    them and fit its kind."""
    rule_kind = RULE_KINDS.get(kind)
    if rule_kind is None:
        raise ValidationError(
            _("Unknown eligibility rule kind “%(kind)s”."), code="unknown_kind", params={"kind": kind}
        )
    if params is None:
        params = {}
    if not isinstance(params, Mapping):
        raise _invalid(_("The parameters of “%(rule)s” must be a mapping of names to values."), rule=kind)
    merged, errors = copy.deepcopy(dict(rule_kind.default_params)), []
    for name, value in params.items():
        try:
            if name not in merged:
                raise _invalid(
                    _("Unknown parameter “%(name)s” for the rule “%(rule)s”; expected: %(expected)s."),
                    name=name,
                    rule=kind,
                    expected=", ".join(rule_kind.default_params) or _("none"),
                )
            merged[name] = rule_kind.param_validators[name](name, copy.deepcopy(value))
        except ValidationError as error:
            errors.append(error)
    if errors:
        raise ValidationError(errors)
    if questions is not None and rule_kind.question_check is not None:
        rule_kind.question_check(merged, questions)
    return merged


# -- Helpers for reasons -----------------------------------------------------------------------


CENT = Decimal("0.01")


def _share(part, whole, limit, *, at_most=True) -> tuple[bool, str]:
    """Is ``part`` at most (or at least) ``limit`` percent of ``whole``, compared exactly, and
    the share as shown."""
    limit = Decimal(str(limit))
    ok = part * 100 <= limit * whole if at_most else part * 100 >= limit * whole
    return ok, _pct(Decimal(part) * 100 / Decimal(whole), limit, failed_above=None if ok else at_most)


def _pct(value, limit=None, *, failed_above=None) -> str:
    """Up to 2 decimals, no trailing zeros: 30 -> '30%', 29.50 -> '29.5%'. A failing value that
    would round onto its limit is rounded away from it instead (75.001 above 75 -> '75.01%')."""
    value = Decimal(str(value))
    shown = value.quantize(CENT, rounding=ROUND_HALF_UP)
    if failed_above is True and shown <= limit:
        shown = value.quantize(CENT, rounding=ROUND_CEILING)
    elif failed_above is False and shown >= limit:
        shown = value.quantize(CENT, rounding=ROUND_FLOOR)
    text = f"{shown:f}"
    return f"{text.rstrip('0').rstrip('.') if '.' in text else text}%"


def _labels(codes, labels) -> str:
    return ", ".join(str(labels.get(code, code)) for code in codes)


def _kind(code) -> str:
    return str(KIND_LABELS.get(code, code))


def _size(code) -> str:
    return str(SIZE_CLASS_LABELS.get(code, code)) if code else _("unknown size class")


# -- The rules: each returns (passed, reason) --------------------------------------------------


@rule(
    "allowed_applicants",
    label=gettext_lazy("Allowed applicants"),
    description=gettext_lazy("The lead's kind and size class must be among those listed (empty: any)."),
    params={"kinds": ([], _codes(KIND_LABELS)), "size_classes": ([], _codes(SIZE_CLASS_LABELS))},
)
def allowed_applicants(facts, params):
    lead, kinds, size_classes = facts.lead, params["kinds"], params["size_classes"]
    values = {"kind": _kind(lead.kind), "size_class": _size(lead.size_class)}
    if kinds and lead.kind not in kinds:
        values["allowed"] = _labels(kinds, KIND_LABELS)
        return False, _("The lead is a %(kind)s; this call accepts %(allowed)s.") % values
    if size_classes and lead.size_class not in size_classes:
        values["allowed"] = _labels(size_classes, SIZE_CLASS_LABELS)
        return False, _("The lead's size class is %(size_class)s; this call accepts %(allowed)s.") % values
    if lead.size_class:
        return True, _("The lead (%(kind)s, %(size_class)s) may apply.") % values
    return True, _("The lead (%(kind)s) may apply.") % values


@rule(
    "lead_is_sme",
    label=gettext_lazy("Lead is an SME"),
    description=gettext_lazy("The lead organisation must be a small or medium-sized enterprise."),
)
def lead_is_sme(facts, params):
    values = {"name": facts.lead.name, "size_class": _size(facts.lead.size_class)}
    if facts.lead.size_class == "sme":
        return True, _("The lead %(name)s is an SME.") % values
    if facts.lead.size_class is None:
        return False, _("The size class of the lead %(name)s is unknown; the lead must be an SME.") % values
    return False, _("The lead %(name)s is not an SME (size class: %(size_class)s).") % values


@rule(
    "large_company_share",
    label=gettext_lazy("Large companies"),
    description=gettext_lazy("A large company may not lead; each large member holds at most max_percent."),
    params={"max_percent": (30, _percent)},
)
def large_company_share(facts, params):
    limit = Decimal(str(params["max_percent"]))
    problems = []
    if facts.lead.size_class == "large":
        message = _(
            "The lead %(name)s is a large company; a large company may only join as a consortium member."
        )
        problems.append(message % {"name": facts.lead.name})
    large = [member for member in facts.members if member.size_class == "large"]
    for member in large:
        share = Decimal(member.budget_share_percent)
        if share > limit:
            message = _(
                "%(name)s is a large company with %(share)s of the budget, above the limit of %(max)s."
            )
            values = {"name": member.name, "share": _pct(share, limit, failed_above=True), "max": _pct(limit)}
            problems.append(message % values)
    if problems:
        return False, " ".join(problems)
    if not large:
        return True, _("No large company takes part.")
    parties = ", ".join(f"{member.name} ({_pct(member.budget_share_percent)})" for member in large)
    message = _("Each large company is a consortium member with at most %(max)s of the budget: %(parties)s.")
    return True, message % {"max": _pct(limit), "parties": parties}


@rule(
    "subsidy_range",
    label=gettext_lazy("Subsidy range"),
    description=gettext_lazy("The requested subsidy lies between the call's or track's minimum and maximum."),
)
def subsidy_range(facts, params):
    values = {
        "requested": format_krw(facts.requested_subsidy),
        "min": format_krw(facts.subsidy_min),
        "max": format_krw(facts.subsidy_max),
    }
    if facts.requested_subsidy < facts.subsidy_min:
        return False, _("The requested subsidy %(requested)s is below the minimum of %(min)s.") % values
    if facts.requested_subsidy > facts.subsidy_max:
        return False, _("The requested subsidy %(requested)s is above the maximum of %(max)s.") % values
    return True, _("The requested subsidy %(requested)s is within the range of %(min)s to %(max)s.") % values


@rule(
    "matching_funds",
    label=gettext_lazy("Matching funds"),
    description=gettext_lazy("By the lead's size class: a cap on government share, a floor on cash."),
    params={
        "government_share_max": ({"sme": 75, "mid": 70, "large": 50}, _percent_by_size_class),
        "cash_min_of_private": ({"sme": 10, "mid": 13, "large": 15}, _percent_by_size_class),
    },
)
def matching_funds(facts, params):
    size_class = facts.lead.size_class
    government_max = params["government_share_max"].get(size_class)
    cash_min = params["cash_min_of_private"].get(size_class)
    if government_max is None and cash_min is None:
        if size_class is None and facts.lead.kind == "company":
            return False, _("The lead's size class is unknown, so the matching-fund ratio cannot be chosen.")
        who = _size(size_class) if size_class else _kind(facts.lead.kind)
        return True, _("No matching-fund ratio applies to a %(size_class)s lead.") % {"size_class": who}
    total = facts.total_cost
    if total <= 0:
        return False, _("The funding plan is empty.")
    private = facts.private_cash + facts.private_in_kind
    values = {"total": format_krw(total), "private": format_krw(private), "size_class": _size(size_class)}
    passed, parts = True, []
    if government_max is not None:
        ok, values["share"] = _share(facts.requested_subsidy + facts.local_government, total, government_max)
        values["max"] = _pct(government_max)
        if ok:
            message = _(
                "The government share is %(share)s of the total cost of %(total)s (at most %(max)s for %(size_class)s leads)."
            )
        else:
            message = _(
                "The government share is %(share)s of the total cost of %(total)s, above the limit of %(max)s for %(size_class)s leads."
            )
        passed, parts = ok, [message % values]
    if cash_min is not None and private <= 0:
        parts.append(_("There is no private contribution, so no cash minimum applies."))
    elif cash_min is not None:
        ok, values["share"] = _share(facts.private_cash, private, cash_min, at_most=False)
        values["min"] = _pct(cash_min)
        if ok:
            message = _(
                "Cash is %(share)s of the private contribution of %(private)s (at least %(min)s for %(size_class)s leads)."
            )
        else:
            message = _(
                "Cash is %(share)s of the private contribution of %(private)s, below the minimum of %(min)s for %(size_class)s leads."
            )
        passed = passed and ok
        parts.append(message % values)
    return passed, " ".join(parts)


@rule(
    "national_share",
    label=gettext_lazy("National share"),
    description=gettext_lazy("The national subsidy is at most max_percent of the total project cost."),
    params={"max_percent": (50, _percent)},
)
def national_share(facts, params):
    total = facts.total_cost
    if total <= 0:
        return False, _("The funding plan is empty.")
    ok, share = _share(facts.requested_subsidy, total, params["max_percent"])
    values = {"share": share, "total": format_krw(total), "max": _pct(params["max_percent"])}
    if ok:
        return True, _(
            "The national subsidy is %(share)s of the total cost of %(total)s (at most %(max)s)."
        ) % values
    message = _(
        "The national subsidy is %(share)s of the total cost of %(total)s, above the limit of %(max)s."
    )
    return False, message % values


@rule(
    "consortium_includes",
    label=gettext_lazy("Consortium members"),
    description=gettext_lazy("At least min_count members besides the lead are of the listed kinds."),
    params={"kinds": (["company"], _codes(KIND_LABELS)), "min_count": (1, _positive_count)},
)
def consortium_includes(facts, params):
    kinds, minimum = params["kinds"], params["min_count"]
    matching = [member for member in facts.members if not kinds or member.kind in kinds]
    values = {
        "count": len(matching),
        "min_count": minimum,
        "kinds": _labels(kinds, KIND_LABELS) if kinds else _("any kind"),
        "names": ", ".join(member.name for member in matching),
    }
    if len(matching) >= minimum:
        message = ngettext(
            "The consortium has %(count)d member of the required kinds (%(kinds)s) besides the lead: %(names)s.",
            "The consortium has %(count)d members of the required kinds (%(kinds)s) besides the lead: %(names)s.",
            len(matching),
        )
        return True, message % values
    message = ngettext(
        "The consortium needs at least %(min_count)d member of the required kinds (%(kinds)s) besides the lead; it has %(count)d.",
        "The consortium needs at least %(min_count)d members of the required kinds (%(kinds)s) besides the lead; it has %(count)d.",
        minimum,
    )
    return False, message % values


@rule(
    "previous_stage_selected",
    label=gettext_lazy("Selected in the previous stage"),
    description=gettext_lazy("In a stage-2 call, the lead must have been selected in the previous stage."),
)
def previous_stage_selected(facts, params):
    if facts.previous_stage_title is None:
        return True, _("This call has no previous stage.")
    values = {"title": facts.previous_stage_title}
    if facts.selected_in_previous_stage:
        return True, _("The lead was selected in the previous stage “%(title)s”.") % values
    return False, _("The lead was not selected in the previous stage “%(title)s”.") % values


@rule(
    "no_active_sanction",
    label=gettext_lazy("No active sanction"),
    description=gettext_lazy("No organisation is under an active participation restriction."),
)
def no_active_sanction(facts, params):
    sanctioned = [party for party in facts.parties if party.active_sanction]
    if not sanctioned:
        return True, _("No organisation of the application is under an active participation restriction.")
    message = _("%(name)s is under an active participation restriction (%(reason)s).")
    return False, " ".join(message % {"name": p.name, "reason": p.active_sanction} for p in sanctioned)


# -- The duplicate-funding check as rules (projects.duplicates finds; these decide) -----------


def _project_list(projects) -> str:
    return ", ".join(f"{code} ({field or '-'})" for code, field in projects)


@rule(
    "no_active_project_in_field",
    label=gettext_lazy("No running project in the same service field"),
    description=gettext_lazy(
        "No organisation of the application takes part in a running national project in the same service field."
    ),
)
def no_active_project_in_field(facts, params):
    if not facts.service_field:
        return False, _(
            "The application names no service field; choose one so that this rule can be checked."
        )
    values = {"field": facts.service_field}
    clashes = [
        (party, [p for p in party.live_projects if p[1] == facts.service_field]) for party in facts.parties
    ]
    clashes = [(party, projects) for party, projects in clashes if projects]
    if not clashes:
        return True, _(
            "No organisation of the application takes part in a running project in the service field “%(field)s”."
        ) % values
    message = _(
        "%(name)s takes part in the running project %(projects)s in the same service field “%(field)s”."
    )
    return False, " ".join(
        message % {**values, "name": party.name, "projects": _project_list(projects)}
        for party, projects in clashes
    )


@rule(
    "max_concurrent_projects",
    label=gettext_lazy("Concurrent national projects"),
    description=gettext_lazy(
        "No organisation would take part in more than max_projects running national projects at a time, this one included."
    ),
    params={"max_projects": (2, _positive_count)},
)
def max_concurrent_projects(facts, params):
    limit = params["max_projects"]
    over = [party for party in facts.parties if len(party.live_projects) + 1 > limit]
    if not over:
        busiest = max(len(party.live_projects) for party in facts.parties)
        return True, _(
            "Each organisation takes part in at most %(count)d running national projects besides this one; the limit is %(max)d at a time, this one included."
        ) % {"count": busiest, "max": limit}
    message = _(
        "%(name)s already takes part in %(count)d running national projects (%(projects)s); with this one it would exceed the limit of %(max)d at a time."
    )
    return False, " ".join(
        message
        % {
            "name": party.name,
            "count": len(party.live_projects),
            "projects": _project_list(party.live_projects),
            "max": limit,
        }
        for party in over
    )


# Rule kinds that read Party.live_projects: the facts gather them only when a call uses one.
PROJECT_RULE_KINDS = frozenset({"no_active_project_in_field", "max_concurrent_projects"})


@rule(
    "required_documents",
    label=gettext_lazy("Required documents"),
    description=gettext_lazy("Every listed kind of document must be attached."),
    params={"kinds": (["proposal"], _codes(DOCUMENT_KIND_LABELS))},
)
def required_documents(facts, params):
    required = params["kinds"]
    missing = [kind for kind in required if kind not in facts.document_kinds]
    if missing:
        return False, _("Missing documents: %(documents)s.") % {
            "documents": _labels(missing, DOCUMENT_KIND_LABELS)
        }
    if not required:
        return True, _("No documents are required.")
    documents = _labels(required, DOCUMENT_KIND_LABELS)
    return True, _("All required documents are attached: %(documents)s.") % {"documents": documents}


@rule(
    "lead_government_level",
    label=gettext_lazy("Tier of the lead local government"),
    description=gettext_lazy(
        "The lead is a local government of one of the listed tiers (metropolitan 광역, basic 기초)."
    ),
    params={"levels": (["basic"], _codes(GOVERNMENT_LEVEL_LABELS))},
)
def lead_government_level(facts, params):
    lead, levels = facts.lead, params["levels"]
    values = {"name": lead.name, "allowed": _labels(levels, GOVERNMENT_LEVEL_LABELS)}
    if lead.kind != "local_government":
        values["kind"] = _kind(lead.kind)
        return False, _(
            "The lead %(name)s is a %(kind)s; this call wants a local government (%(allowed)s)."
        ) % values
    values["level"] = str(GOVERNMENT_LEVEL_LABELS.get(lead.government_level, _("unknown tier")))
    if lead.government_level in levels:
        return True, _("The lead %(name)s is a %(level)s.") % values
    return False, _("The lead %(name)s is a %(level)s; this call accepts %(allowed)s.") % values


# -- Answers to the call's own questions (competitions.models.Question) ------------------------

ANSWER_CONDITIONS = {
    "yes": gettext_lazy("is yes"),
    "no": gettext_lazy("is no"),
    "in_choices": gettext_lazy("is one of the listed choices"),
    "at_least": gettext_lazy("is at least the number"),
    "at_most": gettext_lazy("is at most the number"),
}
# The question kinds each condition reads.
_CONDITION_KINDS = {
    "yes": ("yes_no",),
    "no": ("yes_no",),
    "in_choices": ("single_choice", "multiple_choice"),
    "at_least": ("number", "amount"),
    "at_most": ("number", "amount"),
}


def _question_code(name, value):
    if not isinstance(value, str) or not value.strip():
        raise _invalid(_("“%(name)s” must be the code of one of the call's questions."), name=name)
    return value.strip()


def _condition(name, value):
    if value not in ANSWER_CONDITIONS:
        raise _invalid(
            _("“%(name)s” must be one of: %(known)s (got %(value)r)."),
            name=name,
            known=", ".join(ANSWER_CONDITIONS),
            value=value,
        )
    return value


def _optional_number(name, value):
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal | str):
        raise _invalid(_("“%(name)s” must be a number (got %(value)r)."), name=name, value=value)
    try:
        number = Decimal(str(value))
    except ArithmeticError:
        number = None
    if number is None or not number.is_finite():
        raise _invalid(_("“%(name)s” must be a number (got %(value)r)."), name=name, value=value)
    return str(number)


def _answer_rule_fits(params, questions):
    """The rule names one of the call's questions, with a condition its kind can meet."""
    question = questions.get(params["question"])
    if question is None:
        raise _invalid(
            _("No question of this call has the code “%(code)s”; known: %(known)s."),
            code=params["question"],
            known=", ".join(questions) or _("none"),
        )
    condition = params["condition"]
    if question.kind not in _CONDITION_KINDS[condition]:
        raise _invalid(
            _("The question “%(label)s” cannot be tested with “%(condition)s”."),
            label=question.label,
            condition=ANSWER_CONDITIONS[condition],
        )
    if condition == "in_choices":
        known = dict(question.choices)
        if not params["choices"]:
            raise _invalid(_("List the choices that pass."))
        unknown = [code for code in params["choices"] if code not in known]
        if unknown:
            raise _invalid(
                _("The question “%(label)s” has no choice “%(code)s”; its choices: %(known)s."),
                label=question.label,
                code=unknown[0],
                known=", ".join(f"{code} ({label})" for code, label in question.choices),
            )
    if condition in ("at_least", "at_most") and params["number"] is None:
        raise _invalid(_("Give the number the answer is compared with."))


@rule(
    "question_answer",
    label=gettext_lazy("Answer to a question"),
    description=gettext_lazy(
        "The answer to the call's question (by its code) is yes, is no, is one of the listed choices, or is at least or at most a number."
    ),
    params={
        "question": ("", _question_code),
        "condition": ("yes", _condition),
        "choices": ([], _codes()),
        "number": (None, _optional_number),
    },
    question_check=_answer_rule_fits,
)
def question_answer(facts, params):
    question = facts.questions.get(params["question"])
    if question is None:
        message = _("This rule is misconfigured: no question of this call has the code “%(code)s”.")
        return False, message % {"code": params["question"]}
    value = facts.answers.get(question.code)
    values = {"label": question.label}
    if value is None or value == "" or value == []:
        return False, _("The question “%(label)s” is not answered.") % values
    condition = params["condition"]
    if condition in ("yes", "no"):
        values["answer"] = _("Yes") if value else _("No")
        if bool(value) == (condition == "yes"):
            return True, _("The answer to “%(label)s” is %(answer)s.") % values
        values["expected"] = _("Yes") if condition == "yes" else _("No")
        return False, _("The answer to “%(label)s” is %(answer)s; this call requires %(expected)s.") % values
    if condition == "in_choices":
        labels = dict(question.choices)
        picked = value if isinstance(value, list) else [value]
        values["answer"] = ", ".join(labels.get(code, code) for code in picked)
        values["allowed"] = ", ".join(labels.get(code, code) for code in params["choices"])
        if set(picked) & set(params["choices"]):
            return True, _("The answer to “%(label)s” (%(answer)s) is among %(allowed)s.") % values
        return False, _("The answer to “%(label)s” (%(answer)s) is not among %(allowed)s.") % values
    limit, number = Decimal(params["number"]), Decimal(str(value))
    if question.kind == "amount":
        values["answer"], values["limit"] = format_krw(int(number)), format_krw(int(limit))
    else:
        values["answer"], values["limit"] = _plain_number(number), _plain_number(limit)
    if condition == "at_least":
        if number >= limit:
            return True, _("The answer to “%(label)s” (%(answer)s) is at least %(limit)s.") % values
        return False, _("The answer to “%(label)s” (%(answer)s) is below the minimum of %(limit)s.") % values
    if number <= limit:
        return True, _("The answer to “%(label)s” (%(answer)s) is at most %(limit)s.") % values
    return False, _("The answer to “%(label)s” (%(answer)s) is above the maximum of %(limit)s.") % values


def _plain_number(number):
    text = f"{number:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


# -- Standing rules: every call, not configurable ----------------------------------------------
# Who takes part must be settled before anything else is judged: a consortium member counts only
# once it accepted, and a public body only once staff verified it (projects.identity). Each gives
# a result only when it concerns the application (a consortium; a public body among the parties).


def consortium_accepted(facts):
    if not facts.unaccepted_members and not facts.members:
        return None
    label = _("Consortium members' acceptance")
    if not facts.unaccepted_members:
        return RuleResult("consortium_accepted", label, True, _("Every consortium member has accepted."))
    message = _("%(name)s has not accepted joining the consortium (%(state)s).")
    reason = " ".join(message % {"name": name, "state": state} for name, state in facts.unaccepted_members)
    return RuleResult("consortium_accepted", label, False, reason)


def parties_verified(facts):
    unverified = [party for party in facts.parties if party.unverified]
    if not unverified and not any(party.kind in PUBLIC_BODY_KINDS for party in facts.parties):
        return None
    label = _("Verified public bodies")
    if not unverified:
        return RuleResult(
            "parties_verified", label, True, _("No organisation of the application awaits verification.")
        )
    message = _("%(name)s (%(kind)s) is not yet verified by the ministry.")
    reason = " ".join(message % {"name": p.name, "kind": KIND_LABELS.get(p.kind, p.kind)} for p in unverified)
    return RuleResult("parties_verified", label, False, reason)


def required_answers(facts):
    """Every required question of the call is answered (the one place submission asks it)."""
    required = [q for q in facts.questions.values() if q.required]
    if not required:
        return None
    label = _("Required answers")
    missing = [q.label for q in required if facts.answers.get(q.code) in (None, "", [])]
    if not missing:
        return RuleResult("required_answers", label, True, _("Every required question is answered."))
    reason = _("Answer the required questions: %(questions)s") % {"questions": "; ".join(missing)}
    return RuleResult("required_answers", label, False, reason)


def required_indicators(facts):
    """The application proposes at least the performance indicators its call requires."""
    if not facts.indicators_required:
        return None
    label = _("Performance indicators")
    values = {"required": facts.indicators_required, "proposed": facts.indicators_proposed}
    if facts.indicators_proposed >= facts.indicators_required:
        reason = _("%(proposed)s performance indicators proposed; the call requires at least %(required)s.")
        return RuleResult("required_indicators", label, True, reason % values)
    reason = _(
        "Propose at least %(required)s performance indicators on the application form; %(proposed)s proposed."
    )
    return RuleResult("required_indicators", label, False, reason % values)


def local_matching(facts):
    """The local government matches the national subsidy at the call's ratio (the Smart City
    Challenge's 50:50), when the call sets one."""
    if facts.matching_ratio is None:
        return None
    label = _("Local matching")
    args = (facts.matching_ratio, facts.requested_subsidy, facts.local_government)
    problem = local_matching_problem(*args)
    if problem:
        return RuleResult("local_matching", label, False, problem)
    return RuleResult("local_matching", label, True, local_matching_reason(*args))


PUBLIC_BODY_KINDS = ("local_government", "public_institution")
STANDING_RULES = (
    consortium_accepted,
    parties_verified,
    required_answers,
    required_indicators,
    local_matching,
)


def evaluate_standing(facts: ApplicationFacts) -> list[RuleResult]:
    """The standing rules' results that concern these facts (run before a call's own rules)."""
    return [result for check in STANDING_RULES if (result := check(facts)) is not None]


# -- Running a rule set ------------------------------------------------------------------------


def prepare(configured: Iterable[tuple[str, Mapping]]) -> list:
    """The configured (kind, params) pairs made ready to run on the facts of many applications
    (evaluate_prepared), in the active language: each rule's params checked and its label
    translated once, not once an application. A rule that cannot run (unknown kind, bad params)
    is kept as its result: failed, with a reason saying so. (The checks read their params and
    never change them, so the applications share one checked copy.)"""
    prepared = []
    for kind, params in configured:
        rule_kind = RULE_KINDS.get(kind)
        try:
            checked = validate_params(kind, params)
        except ValidationError as error:
            label = str(rule_kind.label) if rule_kind else kind
            reason = _("This rule is misconfigured: %(errors)s") % {"errors": " ".join(error.messages)}
            prepared.append(RuleResult(kind=kind, label=label, passed=False, reason=reason))
            continue
        prepared.append((rule_kind.check, checked, str(rule_kind.label)))
    return prepared


def evaluate_prepared(prepared: list, facts: ApplicationFacts) -> list[RuleResult]:
    """Run the rules ``prepare`` made ready, in order."""
    return [item if isinstance(item, RuleResult) else item[0](facts, item[1], item[2]) for item in prepared]


def evaluate(configured: Iterable[tuple[str, Mapping]], facts: ApplicationFacts) -> list[RuleResult]:
    """Run the configured (kind, params) pairs in order.

    A rule that cannot run (unknown kind, bad params) fails with a reason saying so, rather than
    breaking the page that asked.
    """
    return evaluate_prepared(prepare(configured), facts)


def failures(results: Iterable[RuleResult]) -> list[RuleResult]:
    return [result for result in results if not result.passed]
