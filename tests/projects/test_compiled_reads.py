"""The reads compiled once per process (projects.compiled_reads) return what the querysets they
are built from return, on the database the tests run on: the submission's eligibility snapshot
must not see other rows, other values or other types than the staff queue's."""

from datetime import date
from decimal import Decimal

import pytest
from django.db import connection, connections, transaction
from django.db.models import Count, OuterRef
from django.test.utils import CaptureQueriesContext

from competitions.models import Question, QuestionKind, QuestionSection
from projects.compiled_reads import CompiledRead, NestedRead
from projects.eligibility_check import (
    _configured_rules,
    check_many,
    load_snapshot_rows,
    questions_and_answers,
    sanctions_of,
    snapshot_annotations,
    with_eligibility_data,
)
from projects.models import Answer, Application, ConsortiumMember, Document, Organisation, Sanction
from tests.factories import ApplicationFactory, OrganisationFactory, UserFactory

from .conftest import attach

pytestmark = pytest.mark.django_db


@pytest.fixture
def busy_application(open_call):
    """An application with every kind of row the snapshot reads: members accepted, pending and
    withdrawn, a superseded document, sanctions, answers (and another application's answers)."""
    user = UserFactory()
    lead = OrganisationFactory(owners=[user])
    application = ApplicationFactory(call=open_call, lead=lead, created_by=user)
    other = ApplicationFactory(call=open_call, created_by=user)
    partners = [OrganisationFactory() for _ in range(3)]
    for organisation, state, share in zip(
        partners,
        ("accepted", "pending", "withdrawn"),
        (Decimal("12.50"), Decimal("30"), Decimal("5")),
        strict=True,
    ):
        ConsortiumMember.objects.create(
            application=application, organisation=organisation, state=state, budget_share_percent=share
        )
    attach(application, "proposal", user)
    attach(application, "proposal", user, name="second.pdf")
    Document.objects.filter(application=application, original_name="proposal.pdf").update(superseded=True)
    attach(application, "business_registration", user, name="certificate.pdf")
    for organisation, reason in (
        (lead, "Late report"),
        (partners[0], "Misused subsidy"),
        (partners[2], "Fraud"),
    ):
        Sanction.objects.create(
            organisation=organisation, starts_on=date(2026, 1, 1), ends_on=date(2027, 12, 31), reason=reason
        )
    section = QuestionSection.objects.create(call=open_call, title="The test bed", position=1)
    secured = Question.objects.create(
        call=open_call,
        section=section,
        code="secured",
        kind=QuestionKind.YES_NO,
        label="Secured?",
        position=1,
    )
    Question.objects.create(
        call=open_call,
        section=section,
        code="kind",
        kind=QuestionKind.SINGLE_CHOICE,
        label="Kind",
        label_ko="종류",
        choices=[{"code": "road", "label": "Road", "label_ko": "도로"}],
        position=2,
    )
    area = Question.objects.create(
        call=open_call, section=section, code="area", kind=QuestionKind.NUMBER, label="Area (km²)", position=3
    )
    Answer.objects.create(application=application, question=secured, value=True, updated_by=user)
    Answer.objects.create(application=application, question=area, value=12.75, updated_by=user)
    Answer.objects.create(application=other, question=secured, value=False, updated_by=user)
    return application


def described(members):
    return [
        (m.pk, m.organisation_id, m.organisation.name, m.state, m.budget_share_percent, m.is_live, m.counts)
        for m in members
    ]


def read_with_snapshot(application):
    """The application as the submission reads it: with its snapshot's rows in the same statement."""
    assert connection.features.supports_json_field  # SQLite asks once a connection: not counted
    with CaptureQueriesContext(connection) as queries:
        (loaded,) = (
            Application.objects.filter(pk=application.pk)
            .select_related(
                "call__previous_stage", "call__indicator_settings", "track", "lead", "service_field"
            )
            .order_by()
            .annotate(**snapshot_annotations())
        )
        rows = load_snapshot_rows(loaded, "default")
    assert len(queries.captured_queries) == 1, "one statement reads the application and its rows"
    return loaded, rows


def test_the_submissions_rows_are_the_prefetches_rows(busy_application):
    prefetched = with_eligibility_data(Application.objects.filter(pk=busy_application.pk)).get()
    loaded, rows = read_with_snapshot(busy_application)

    with CaptureQueriesContext(connection) as queries:
        members, documents = list(loaded.consortium_members.all()), list(loaded.documents.all())
        assert described(members) == described(prefetched.consortium_members.all())
        # Every column, with the model's own types (a decimal's places, an aware time, a flag).
        assert [vars(m.organisation) | {"_state": None} for m in members] == [
            vars(m.organisation) | {"_state": None} for m in prefetched.consortium_members.all()
        ]
    assert not queries.captured_queries, "the related managers answer from what was loaded"
    assert len(members) == 2  # the withdrawn member is not read
    assert [m.budget_share_percent for m in members] == [Decimal("12.50"), Decimal("30.00")]
    assert str(members[1].budget_share_percent) == "30.00"
    assert len(documents) == 3
    assert [(d.pk, d.kind, d.superseded, d.uploaded_at, d.file.name, d.size) for d in documents] == [
        (d.pk, d.kind, d.superseded, d.uploaded_at, d.file.name, d.size) for d in prefetched.documents.all()
    ]
    assert documents[0].uploaded_at.tzinfo is not None
    # A filter on the related manager still asks the database, with the relation's own filter.
    assert list(loaded.documents.filter(superseded=False)) == list(
        Document.objects.filter(application=busy_application, superseded=False)
    )
    # And the snapshot judges both the same way, without a query of its own for the rules, the
    # questions and the sanctions.
    with CaptureQueriesContext(connection) as queries:
        results = [(r.label, r.passed, r.reason) for r in check_many([loaded], read=rows)[loaded.pk]]
    assert not queries.captured_queries
    assert results == [(r.label, r.passed, r.reason) for r in check_many([prefetched])[prefetched.pk]]


def test_sanctions_rules_and_answers_are_the_querysets_rows(busy_application, open_call):
    application, rows = read_with_snapshot(busy_application)
    sanctions = sanctions_of([application])
    assert {
        organisation: [(s.pk, s.reason, s.starts_on) for s in found]
        for organisation, found in sanctions.items()
    } == {
        # The lead's and the live members' (not the withdrawn member's: "Fraud").
        s.organisation_id: [(s.pk, s.reason, s.starts_on)]
        for s in Sanction.objects.exclude(reason="Fraud").order_by("pk")
    }
    assert isinstance(sanctions[application.lead_id][0].starts_on, date)
    assert {
        organisation: [vars(s) | {"_state": None} for s in found]
        for organisation, found in rows.sanctions.items()
    } == {
        organisation: [vars(s) | {"_state": None} for s in found] for organisation, found in sanctions.items()
    }

    configured = _configured_rules([application])
    assert configured[(application.call_id, application.track_id)] == [
        (rule.kind, rule.params)
        for rule in open_call.eligibility_rules.filter(track=None).order_by("position", "pk")
    ]
    assert _configured_rules([application], rows.rules) == configured
    assert len(rows.rules) >= 3

    questions, answers = questions_and_answers([application])
    assert list(questions[open_call.pk]) == ["secured", "kind", "area"]
    assert questions[open_call.pk]["kind"].choices == (("road", "Road"),)
    # The other application's answer is not read.
    assert answers == {application.pk: {"secured": True, "area": 12.75}}
    assert questions_and_answers([application], rows.questions) == (questions, answers)
    # A JSON column's number is the float Django's own read gives (a decimal column's, a Decimal).
    _questions, nested_answers = questions_and_answers([application], rows.questions)
    assert type(nested_answers[application.pk]["area"]) is float


def test_a_read_is_compiled_once_for_each_length_of_its_lists(busy_application, monkeypatch):
    monkeypatch.setattr("projects.compiled_reads.MAX_SHAPES", 2)  # the oldest dropped beyond two
    read = CompiledRead(Organisation, lambda ids: Organisation.objects.filter(pk__in=ids).order_by("pk"))
    everyone = list(Organisation.objects.order_by("pk").values_list("pk", flat=True))

    assert [o.pk for o in read.objects(everyone[:2])] == everyone[:2]
    assert [o.pk for o in read.objects(everyone[2:4])] == everyone[2:4]  # the same SQL, other ids
    assert [o.pk for o in read.objects(everyone)] == everyone
    assert [o.pk for o in read.objects(everyone[:3])] == everyone[:3]
    assert [o.pk for o in read.objects(everyone[:2])] == everyone[:2]  # compiled again
    assert len(read._compiled[connections["default"]]) == 2
    with CaptureQueriesContext(connection) as queries:
        assert read.objects([]) == []
    assert not queries.captured_queries
    names = CompiledRead(
        Organisation, lambda ids: Organisation.objects.filter(pk__in=ids).values_list("name")
    )
    assert names.rows(everyone[:1]) == [(Organisation.objects.get(pk=everyone[0]).name,)]


def test_a_read_whose_ids_are_not_its_parameters_is_refused(busy_application):
    with pytest.raises(ValueError, match="one parameter"):
        CompiledRead(Organisation, lambda pk: Organisation.objects.filter(pk=abs(pk))).objects(1)
    with pytest.raises(TypeError, match="rows"):
        CompiledRead(Organisation, lambda pk: Organisation.objects.filter(pk=pk).values_list("name")).objects(
            1
        )


def test_a_read_with_annotations_gives_each_instance_their_values(busy_application):
    read = CompiledRead(
        Organisation,
        lambda pk: Organisation.objects.filter(pk=pk).annotate(
            people=Count("memberships"), again=Count("pk")
        ),
    )
    (lead,) = read.objects(busy_application.lead_id)
    expected = Organisation.objects.annotate(people=Count("memberships")).get(pk=busy_application.lead_id)
    assert (lead.pk, lead.name, lead.people, lead.again) == (expected.pk, expected.name, expected.people, 1)
    assert lead.people == 1  # its owner


def test_a_locking_read_with_its_related_rows_is_the_querysets(busy_application):
    read = CompiledRead(
        ConsortiumMember,
        lambda application: (
            ConsortiumMember.objects.select_for_update(of=("self",))
            .select_related("organisation", "application__call")
            .filter(application_id=application)
        ),
    )
    with transaction.atomic():
        loaded = read.objects(busy_application.pk)
        again = read.objects(busy_application.pk)
        expected = list(
            ConsortiumMember.objects.select_related("organisation", "application__call").filter(
                application=busy_application
            )
        )
    with CaptureQueriesContext(connection) as queries:
        assert [(m.pk, m.organisation.name, m.application.call.title) for m in loaded] == [
            (m.pk, m.organisation.name, m.application.call.title) for m in expected
        ]
    assert not queries.captured_queries, "the related rows were read with the members"
    assert [m.pk for m in again] == [m.pk for m in loaded]


def test_a_null_relation_comes_back_as_none_as_select_related_gives_it(busy_application):
    """A nested read with a nullable relation: an answer without a document has None, not an
    empty Document; one with a document has that document's columns."""
    file_question = Question.objects.create(
        call=busy_application.call,
        section=QuestionSection.objects.get(call=busy_application.call),
        code="plan",
        kind=QuestionKind.FILE,
        document_kind="proposal",
        label="Plan",
        position=9,
    )
    document = Document.objects.filter(application=busy_application, superseded=False).first()
    Answer.objects.create(
        application=busy_application,
        question=file_question,
        document=document,
        updated_by=busy_application.created_by,
    )
    answers = NestedRead(
        Answer,
        lambda: Answer.objects.filter(application=OuterRef("pk")),
        related=("document",),
    )
    loaded = Application.objects.annotate(nested_answers=answers.expression()).get(pk=busy_application.pk)
    with CaptureQueriesContext(connection) as queries:
        got = {a.question_id: a.document for a in answers.decode(loaded.nested_answers, "default")}
    assert not queries.captured_queries
    expected = {
        a.question_id: a.document
        for a in Answer.objects.select_related("document").filter(application=busy_application)
    }
    assert set(got) == set(expected) and len(got) == 3
    assert got[file_question.pk] is not None
    assert (got[file_question.pk].pk, got[file_question.pk].original_name) == (
        document.pk,
        document.original_name,
    )
    assert [question for question, doc in got.items() if doc is None] == [
        question for question, doc in expected.items() if doc is None
    ]
    assert sum(doc is None for doc in got.values()) == 2
