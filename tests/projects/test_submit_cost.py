"""What one submission costs the database, the number every request of a deadline burst pays
(tests/load/burst.py): a fixed number of queries, and the call's reference counter (the one row
every submission to the call waits for) locked by a single statement near the end."""

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from projects.models import Application, ApplicationState
from tests.factories import ApplicationFactory, OrganisationFactory, UserFactory

from .conftest import attach

# Session, user, the person's roles (accounts.two_factor: whether they must have passed a second
# factor, asked on every request so that a role granted mid-session counts); the application,
# read once and row-locked, joined to what the eligibility snapshot reads of it (call, track,
# lead, service field) and bringing along the rest: its consortium, documents and answers, the
# call's rules and questions, the parties' sanctions, and the lead organisation's people (the
# permission is checked on them, and the receipt goes to them); the number, the log, the row
# (only the columns that changed) and the e-mail. The duplicate-funding check runs after the
# commit, in a worker (projects.duplicates.check_after_submission): not counted here.
MAX_QUERIES = 8


def eligible_draft(call):
    user = UserFactory()
    application = ApplicationFactory(call=call, lead=OrganisationFactory(owners=[user]), created_by=user)
    attach(application, "proposal", user)
    attach(application, "business_registration", user, name="certificate.pdf")
    return application, user


def submit_over_http(client, application, user):
    client.force_login(user)
    with CaptureQueriesContext(connection) as queries:
        response = client.post(reverse("projects:application_submit", args=[application.pk]))
    assert response.status_code == 302
    assert Application.objects.get(pk=application.pk).state == ApplicationState.SUBMITTED
    # Transaction control (savepoints inside the test's transaction) is not a query here.
    return [q["sql"] for q in queries.captured_queries if not q["sql"].startswith(("SAVEPOINT", "RELEASE"))]


def test_a_submission_costs_a_fixed_number_of_queries_and_one_counter_statement(client, open_call):
    submit_over_http(client, *eligible_draft(open_call))  # the call's first: creates its counter
    costs = [submit_over_http(client, *eligible_draft(open_call)) for _ in range(3)]

    assert len({len(queries) for queries in costs}) == 1, [len(queries) for queries in costs]
    queries = costs[-1]
    assert len(queries) <= MAX_QUERIES, "\n".join(queries)
    counter = [sql for sql in queries if "projects_referencecounter" in sql]
    assert len(counter) == 1 and counter[0].startswith("UPDATE") and "RETURNING" in counter[0], counter
    # After the number is taken only the writes that carry it remain.
    after = queries[queries.index(counter[0]) + 1 :]
    assert [sql.split()[0] for sql in after] == ["INSERT", "UPDATE", "INSERT"], after
    # One read after the person's (the locking one, of everything), and a save of what changed,
    # not every column.
    reads = queries[3 : queries.index(counter[0])]
    assert len(reads) == 1 and reads[0].startswith("SELECT"), reads
    assert 'FROM "projects_application"' in reads[0] and '"projects_sanction"' in reads[0], reads
    # The permission is read from the lead's people read with the application: no query of its own.
    assert not [sql for sql in queries if sql.startswith('SELECT 1 AS "a" FROM "projects_membership"')], (
        queries
    )
    update = after[1]
    assert update.startswith('UPDATE "projects_application" SET "state"') and '"title"' not in update, update
    assert Application.objects.filter(call=open_call).order_by("reference").last().reference == "PC26-0004"
