"""Builds the plain snapshot the eligibility rules read from an Application, and runs the
rules its Call (and Track) configure. The rules themselves: competitions.eligibility.

``check_many`` evaluates a page of applications in a constant number of queries (the staff
queue); ``check_eligibility`` evaluates one.
"""

from collections import defaultdict
from decimal import Decimal
from typing import NamedTuple

from django.db.models import FilteredRelation, OuterRef, Prefetch, Q
from django.utils import timezone

from competitions.eligibility import (
    PROJECT_RULE_KINDS,
    ApplicationFacts,
    Party,
    QuestionFacts,
    evaluate_prepared,
    evaluate_standing,
    prepare,
)
from competitions.matching import ratio_of
from competitions.models import EligibilityRule
from competitions.models.localized import pick_language

from .compiled_reads import CompiledRead, NestedRead, attach_prefetched
from .indicators import indicator_facts

# States in which a stage-1 application counts as selected (they arrive with evaluation).
SELECTED_STATES = ("selected", "awarded")


def _live_consortium():
    """The members application_facts reads, with their organisations: only the live ones (one
    the lead withdrew is kept for the record and counts for nothing)."""
    from .models import ConsortiumMember

    return ConsortiumMember.objects.live().select_related("organisation")


def eligibility_prefetches():
    """What application_facts reads of an application's own rows: its consortium and documents.

    The parties' sanctions are read for the whole page in one query (sanctions_of)."""
    return (Prefetch("consortium_members", queryset=_live_consortium()), "documents")


# What the snapshot reads of a call's questions (QuestionFacts), in the order the form shows them.
QUESTION_COLUMNS = ("call_id", "code", "label", "label_ko", "kind", "choices", "required")
QUESTION_ORDER = ("section__position", "section_id", "position", "pk")


def _compiled_reads():
    """The sanctions, rules and questions check_many reads, each compiled once per process
    (projects.compiled_reads): built on first use, after the apps are ready."""
    from competitions.models import Question

    from .models import Sanction

    return {
        "sanctions": CompiledRead(
            Sanction,
            lambda organisations: Sanction.objects.filter(organisation_id__in=organisations).order_by("pk"),
        ),
        # In each call's order (EligibilityRule.Meta.ordering, without the join to the call that
        # ordering by "call" costs), as plain values: only these four are read.
        "rules": CompiledRead(
            EligibilityRule,
            lambda calls: (
                EligibilityRule.objects.filter(call_id__in=calls)
                .order_by("call_id", "position", "pk")
                .values_list("call_id", "track_id", "kind", "params")
            ),
        ),
        "questions": CompiledRead(
            Question,
            lambda calls, applications: (
                Question.objects.filter(call_id__in=calls)
                .annotate(
                    mine=FilteredRelation("answers", condition=Q(answers__application_id__in=applications))
                )
                .order_by(*QUESTION_ORDER)
                .values_list(
                    *QUESTION_COLUMNS,
                    "mine__application_id",
                    "mine__value",
                    "mine__document_id",
                )
            ),
        ),
    }


_READS = {}


def _read(name):
    if not _READS:
        _READS.update(_compiled_reads())
    return _READS[name]


class SnapshotRows(NamedTuple):
    """What check_many reads besides the applications, when it was read with them: the parties'
    sanctions (as sanctions_of gives them) and the rows of the rules and questions reads."""

    sanctions: dict
    rules: list
    questions: list


_NESTED = {}


def _nested_reads():
    """What check_many reads for one application, as rows a read of the application brings
    along in its own statement (compiled_reads.NestedRead): the same rows, in the same order,
    as eligibility_prefetches and the sanctions, rules and questions reads give."""
    if not _NESTED:
        from competitions.models import Question

        from .models import Answer, ConsortiumMember, Document, Sanction

        parties = Q(organisation_id=OuterRef("lead_id")) | Q(
            organisation_id__in=ConsortiumMember.objects.live()
            .filter(application_id=OuterRef(OuterRef("pk")))
            .values("organisation_id")
        )
        _NESTED.update(
            members=NestedRead(
                ConsortiumMember,
                lambda: _live_consortium().filter(application_id=OuterRef("pk")),
                related=("organisation",),
            ),
            documents=NestedRead(
                Document,
                lambda: Document.objects.filter(application_id=OuterRef("pk")),
                ordering=(*Document._meta.ordering, "id"),
            ),
            sanctions=NestedRead(Sanction, lambda: Sanction.objects.filter(parties)),
            rules=NestedRead(
                EligibilityRule,
                lambda: EligibilityRule.objects.filter(call_id=OuterRef("call_id")),
                fields=("call_id", "track_id", "kind", "params", "position", "id"),
                ordering=("position", "id"),
            ),
            questions=NestedRead(
                Question,
                lambda: Question.objects.filter(call_id=OuterRef("call_id")),
                fields=(*QUESTION_COLUMNS, "id", "section__position", "section_id", "position"),
                ordering=[name.replace("pk", "id") for name in QUESTION_ORDER],
            ),
            answers=NestedRead(
                Answer,
                lambda: Answer.objects.filter(application_id=OuterRef("pk")),
                fields=("question_id", "application_id", "value", "document_id"),
            ),
        )
    return _NESTED


def snapshot_annotations():
    """What a read of applications annotates each with, for load_snapshot_rows: everything
    check_many reads of one application besides the application's own row and those it
    joins (call, track, lead, service field)."""
    return {f"snapshot_{name}": read.expression() for name, read in _nested_reads().items()}


def load_snapshot_rows(application, alias):
    """For one application read with snapshot_annotations (from the database ``alias``): its
    live consortium and documents, stored as eligibility_prefetches stores them, and the
    SnapshotRows to give check_many. No query."""
    reads = _nested_reads()

    def decoded(name):
        return reads[name].decode(getattr(application, f"snapshot_{name}"), alias)

    attach_prefetched(application, "consortium_members", decoded("members"))
    attach_prefetched(application, "documents", decoded("documents"))
    sanctions = defaultdict(list)
    for sanction in decoded("sanctions"):
        sanctions[sanction.organisation_id].append(sanction)
    answers = {question: rest for question, *rest in decoded("answers")}
    questions = [
        (*asked, *answers.get(question, (None, None, None)))
        for *asked, question, _section_position, _section, _position in decoded("questions")
    ]
    rules = [row[:4] for row in decoded("rules")]
    return SnapshotRows(sanctions=sanctions, rules=rules, questions=questions)


# What application_facts reads of an application's call, joined to the call wherever it is read.
CALL_JOINS = ("previous_stage", "indicator_settings")
# The consortium and the documents as an eligibility page reads them (eligibility_page): plain
# lists on each application, under these names.
PAGE_MEMBERS, PAGE_DOCUMENTS = "eligibility_members", "eligibility_documents"


def with_eligibility_data(queryset):
    """Everything application_facts reads, fetched once for the whole queryset. (The track's call
    is not joined a second time: application_facts gives the track the application's call.)"""
    return queryset.select_related(
        *(f"call__{join}" for join in CALL_JOINS), "track", "lead", "service_field"
    ).prefetch_related(*eligibility_prefetches())


def with_call_data(calls):
    """These calls (a queryset) with what application_facts reads of each (eligibility_page)."""
    return calls.select_related(*CALL_JOINS)


def eligibility_page(applications, calls=(), tracks=None, service_fields=None):
    """The list of ``applications`` (a queryset: a page of a list, evaluated here) with what
    check_many reads, read for a list of many. Rows share what they have in common: each
    application's call is one instance a call, taken from ``calls`` (read with with_call_data);
    its track and service field likewise from ``tracks`` and ``service_fields`` when given (the
    call's, when the page lists one call), else joined to it. Those not among them are read in
    one query each. Its live consortium (with the organisations) and documents are plain lists
    (PAGE_MEMBERS, PAGE_DOCUMENTS) rather than prefetched managers, whose per-row querysets cost
    more than the rows of a page of 50."""
    from competitions.models import Call, ServiceField, Track

    joins = ["lead"] + [
        name for name, known in (("track", tracks), ("service_field", service_fields)) if known is None
    ]
    applications = list(
        applications.select_related(*joins).prefetch_related(
            Prefetch(
                "consortium_members",
                queryset=_live_consortium(),
                to_attr=PAGE_MEMBERS,
            ),
            Prefetch("documents", to_attr=PAGE_DOCUMENTS),
        )
    )
    _share(applications, "call", calls, with_call_data(Call.objects.all()))
    if tracks is not None:
        _share(applications, "track", tracks, Track.objects.all())
    if service_fields is not None:
        _share(applications, "service_field", service_fields, ServiceField.objects.all())
    return applications


def _share(applications, name, known, queryset):
    """Give each application its foreign key ``name`` from ``known`` (instances read once for
    the page), those not among them read from ``queryset`` in one query."""
    by_id = {row.pk: row for row in known}
    attname = f"{name}_id"
    missing = {getattr(a, attname) for a in applications} - by_id.keys() - {None}
    if missing:
        by_id.update((row.pk, row) for row in queryset.filter(pk__in=missing))
    for application in applications:
        if getattr(application, attname) is not None:
            setattr(application, name, by_id[getattr(application, attname)])


def _live_members(application):
    """The application's live consortium members: as eligibility_page read them, else as
    prefetched (eligibility_prefetches) or, without a prefetch, read now."""
    members = getattr(application, PAGE_MEMBERS, None)
    if members is None:
        members = application.consortium_members.all()
    return [m for m in members if m.is_live]


def _documents(application):
    documents = getattr(application, PAGE_DOCUMENTS, None)
    return application.documents.all() if documents is None else documents


def _party(organisation, share, is_lead, today, live_projects=(), sanctions=None):
    among = None if sanctions is None else sanctions.get(organisation.pk, ())
    sanction = organisation.active_sanction(on=today, among=among)
    return Party(
        name=organisation.name,
        kind=organisation.kind,
        size_class=organisation.size_class or None,
        budget_share_percent=share,
        is_lead=is_lead,
        active_sanction=sanction.reason if sanction else "",
        unverified=organisation.needs_verification,
        government_level=organisation.government_level_code,
        live_projects=tuple(live_projects),
    )


def _parties_of(applications):
    """The ids of the leads and accepted members of these applications (members prefetched)."""
    return {a.lead_id for a in applications} | {
        m.organisation_id for a in applications for m in _live_members(a) if m.counts
    }


def sanctions_of(applications):
    """{organisation id: [Sanction, ...]} for every lead and member (accepted or not) of these
    applications, in one query."""

    organisations = {a.lead_id for a in applications} | {
        m.organisation_id for a in applications for m in _live_members(a)
    }
    found = defaultdict(list)
    for sanction in _read("sanctions").objects(sorted(organisations)):
        found[sanction.organisation_id].append(sanction)
    return found


def live_projects_by_organisation(applications):
    """{organisation id: [(project code, service field name, its application id), ...]}: the
    running national projects (projects.duplicates.LIVE_PROJECT_STATES) each lead or accepted
    member of these applications takes part in, as lead or accepted member. One query (a
    UNION) for any number of applications (the members come from with_eligibility_data's
    prefetch)."""
    from .duplicates import LIVE_PROJECT_STATES
    from .models import ConsortiumMember, ConsortiumMemberState, Project

    organisations = _parties_of(applications)
    found = defaultdict(set)
    led = (
        Project.objects.filter(state__in=LIVE_PROJECT_STATES, award__application__lead_id__in=organisations)
        .order_by()
        .values_list(
            "code",
            "award__application__service_field__name",
            "award__application_id",
            "award__application__lead_id",
        )
    )
    joined = (
        ConsortiumMember.objects.filter(
            state=ConsortiumMemberState.ACCEPTED,
            organisation_id__in=organisations,
            application__award__project__state__in=LIVE_PROJECT_STATES,
        )
        .order_by()
        .values_list(
            "application__award__project__code",
            "application__service_field__name",
            "application_id",
            "organisation_id",
        )
    )
    for code, field_name, application_id, organisation_id in led.union(joined, all=True):
        found[organisation_id].add((code, field_name or "", application_id))
    return {organisation: sorted(projects) for organisation, projects in found.items()}


def _selected_pairs(applications):
    """(previous call, lead) pairs selected in a previous stage, for these applications."""
    from .models import Application

    previous_ids = {a.call.previous_stage_id for a in applications if a.call.previous_stage_id}
    if not previous_ids:
        return set()
    return set(
        Application.objects.filter(
            call_id__in=previous_ids, lead_id__in={a.lead_id for a in applications}, state__in=SELECTED_STATES
        ).values_list("call_id", "lead_id")
    )


def questions_and_answers(applications, rows=None):
    """({call id: {code: QuestionFacts}}, {application id: {code: value}}) for these
    applications in one query: every question of their calls, each joined to the answers of
    these applications only (a file question's answer is True once a document is attached).
    ``rows``: that query's rows, when they were read with the applications (SnapshotRows)."""
    if rows is None:
        rows = _read("questions").rows(
            sorted({a.call_id for a in applications}), [a.pk for a in applications]
        )
    questions, answers = defaultdict(dict), defaultdict(dict)
    for call_id, code, label, label_ko, kind, choices, required, application_id, value, document_id in rows:
        if code not in questions[call_id]:
            questions[call_id][code] = QuestionFacts(
                code=code,
                label=pick_language(label, label_ko),
                kind=kind,
                choices=tuple(
                    (c["code"], pick_language(c.get("label", ""), c.get("label_ko", "")))
                    for c in choices or ()
                ),
                required=required,
            )
        if application_id is not None:
            answers[application_id][code] = True if document_id else value
    return questions, answers


def lead_share_percent(members):
    """The lead's share of the budget: what the members that count (accepted) leave of 100 %."""
    return Decimal(100) - sum((m.budget_share_percent for m in members if m.counts), Decimal(0))


def application_facts(
    application,
    today=None,
    selected_pairs=None,
    asked=None,
    indicators=None,
    live_projects=None,
    sanctions=None,
):
    """The snapshot of one application; ``asked``: questions_and_answers of a page containing
    it (computed for this one application when not given); ``indicators``: indicator_facts of
    the page (likewise); ``live_projects``: live_projects_by_organisation of the page (none
    when not given: only the rules in PROJECT_RULE_KINDS read them); ``sanctions``: sanctions_of
    the page (read through each organisation when not given)."""
    today = today or timezone.localdate()
    call = application.call
    if application.track.call_id == call.pk:
        application.track.call = call  # the track's call is the application's: read once
    proposed = _live_members(application)
    # Only accepted members are parties (ConsortiumMember.counts); the others still proposed are
    # listed so that the standing rule can refuse submission while they have not accepted (a
    # member the lead withdrew is neither).
    members = [m for m in proposed if m.counts]
    unaccepted = tuple((m.organisation.name, m.get_state_display()) for m in proposed if not m.counts)
    lead_share = lead_share_percent(members)
    live_projects = live_projects or {}

    def running(organisation_id):
        return [
            (code, field_name)
            for code, field_name, other in live_projects.get(organisation_id, ())
            if other != application.pk
        ]

    parties = [_party(application.lead, lead_share, True, today, running(application.lead_id), sanctions)] + [
        _party(m.organisation, m.budget_share_percent, False, today, running(m.organisation_id), sanctions)
        for m in members
    ]
    previous = call.previous_stage
    questions, answers = asked if asked is not None else questions_and_answers([application])
    if selected_pairs is None:
        selected_pairs = _selected_pairs([application])
    required, proposed = indicators if indicators is not None else indicator_facts([application])
    return ApplicationFacts(
        parties=tuple(parties),
        requested_subsidy=application.requested_subsidy,
        local_government=application.local_government,
        private_cash=application.private_cash,
        private_in_kind=application.private_in_kind,
        subsidy_min=call.subsidy_min,
        subsidy_max=application.track.effective_subsidy_max,
        previous_stage_title=previous.display_title if previous else None,
        selected_in_previous_stage=(call.previous_stage_id, application.lead_id) in selected_pairs,
        document_kinds=frozenset(d.kind for d in _documents(application) if not d.superseded),
        unaccepted_members=unaccepted,
        questions=questions.get(application.call_id, {}),
        answers=answers.get(application.pk, {}),
        indicators_required=required.get(application.call_id, 0),
        indicators_proposed=proposed.get(application.pk, 0),
        matching_ratio=ratio_of(call),
        service_field=application.service_field.name if application.service_field_id else "",
    )


def _configured_rules(applications, rows=None):
    """(call, track) -> [(kind, params)] for every call of ``applications``, in one query (none
    when ``rows``, its rows, were read with the applications)."""
    by_call = defaultdict(list)
    if rows is None:
        rows = _read("rules").rows(sorted({a.call_id for a in applications}))
    for call_id, track_id, kind, params in rows:
        by_call[call_id].append((track_id, kind, params))
    return {
        (a.call_id, a.track_id): [
            (kind, params) for track_id, kind, params in by_call[a.call_id] if track_id in (None, a.track_id)
        ]
        for a in applications
    }


def check_many(applications, today=None, sanctions=None, read=None):
    """{application pk: [RuleResult, ...]} for a list of applications (use with_eligibility_data):
    the standing rules that concern each (competitions.eligibility), then its call's rules.
    ``sanctions``: sanctions_of these applications, when the caller already read them;
    ``read``: SnapshotRows, when they were read with the applications (load_snapshot_rows)."""
    applications = list(applications)
    if not applications:
        return {}
    today = today or timezone.localdate()
    read = read or SnapshotRows(sanctions=sanctions, rules=None, questions=None)
    rules = _configured_rules(applications, read.rules)
    selected = _selected_pairs(applications)
    asked = questions_and_answers(applications, read.questions)
    indicators = indicator_facts(applications)
    reads_projects = any(
        kind in PROJECT_RULE_KINDS for configured in rules.values() for kind, _p in configured
    )
    projects = live_projects_by_organisation(applications) if reads_projects else None
    sanctions = read.sanctions if read.sanctions is not None else sanctions_of(applications)
    # Each rule set's params checked and labels translated once, not once an application.
    prepared = {key: prepare(configured) for key, configured in rules.items()}
    results = {}
    for a in applications:
        facts = application_facts(a, today, selected, asked, indicators, projects, sanctions)
        results[a.pk] = evaluate_standing(facts) + evaluate_prepared(prepared[(a.call_id, a.track_id)], facts)
    return results


def check_eligibility(application, today=None):
    """Every configured rule's result (pass or fail, with its reason) for one application."""
    from .models import Application

    fresh = with_eligibility_data(Application.objects.filter(pk=application.pk)).get()
    return check_many([fresh], today)[fresh.pk]
