"""Two instances behind HAProxy sharing PostgreSQL, Redis and the object store (issue 19;
tests/load/instances.py does the driving): sessions, uploads, the submission's row lock, log-in
throttling, kept selection previews and built workbooks hold across both. The deadline burst through the balancer is
tests/load/test_burst.py's second case."""

import json

from tests.load.instances import InstanceSettings, run
from tests.load.test_burst import server_url

FAILURE_LIMIT = 4


def test_two_instances_share_sessions_files_locks_throttles_previews_and_workbooks():
    facts = run(
        InstanceSettings(
            database_url=server_url(), database="gongmo_instances_ci", failure_limit=FAILURE_LIMIT
        )
    )
    print(json.dumps({k: v for k, v in facts.items() if k != "worker_log_tail"}))

    assert facts["healthz"] == [{"database": "ok", "broker": "ok"}] * 2
    # A session made once is good on A, on B and through the balancer.
    assert facts["session_pages"] == [200, 200, 200]
    # Uploaded through A, listed and served byte for byte by B; kept in the bucket only.
    assert facts["upload_status"] == 302
    assert facts["documents_listed_on_b"] == 3  # the two seeded and the new one
    assert facts["uploaded_bytes_served_by_b"] is True
    # The applicant's three, and the two documents of each of the two other drafts.
    assert facts["bucket_objects"] == 3 + 2 * 2
    assert facts["files_on_instance_disk"] == []
    # Submitted through A and B at the same instant: once, with one reference.
    assert sorted(facts["double_submit_statuses"]) == [302, 302]
    stored = facts["database"]
    assert stored["state"] == "submitted"
    assert stored["submit_log_entries"] == 1
    # Two other drafts submitted through A and B at the same instant: the call's counter gives
    # the next two numbers, none twice and no gap.
    assert facts["two_drafts_statuses"] == [302, 302]
    assert stored["references_in_call"] == ["LB-0001", "LB-0002", "LB-0003"]
    assert stored["reference"] == "LB-0001"
    # The selection preview A computed and kept is the one B pages through (a miss would make
    # a fresh preview under a new token).
    assert facts["preview_first_page"] == {"status": 200, "rows": 50}
    assert facts["preview_token_kept_by_b"] is True
    assert facts["preview_second_page_on_b"]["status"] == 200
    assert facts["preview_second_page_on_b"]["rows"] > 0
    # Failed log-ins alternating between A and B count toward one limit (the last one reaches
    # it and is answered 429); the right password is then refused on both.
    assert facts["failed_login_statuses"] == [200] * (FAILURE_LIMIT - 1) + [429]
    assert [attempt["logged_in"] for attempt in facts["right_password_after_failures"]] == [False, False]
    assert {attempt["status"] for attempt in facts["right_password_after_failures"]} == {429}
    # Asked for through A, built by the worker into the bucket, downloaded through B.
    assert facts["workbook_asked"] == 302
    assert facts["workbook_downloaded_through_b"] is True, facts["worker_log_tail"]
    assert "Checks" in facts["workbook_sheets"]
    assert facts["bucket_objects_after_workbook"] == facts["bucket_objects"] + 1
