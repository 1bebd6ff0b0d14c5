from django.urls import path

from .views import applications, duplicates, indicators, money, organisations, printouts, spending, staff

app_name = "projects"

urlpatterns = [
    path("me/", applications.dashboard, name="dashboard"),
    path("organisations/new/", organisations.organisation_create, name="organisation_create"),
    path("organisations/<int:pk>/", organisations.organisation_detail, name="organisation_detail"),
    path("organisations/<int:pk>/edit/", organisations.organisation_edit, name="organisation_edit"),
    path("me/requests/", organisations.requests_page, name="requests"),
    path("invitations/<int:pk>/", organisations.invitation_respond, name="invitation_respond"),
    path("consortium-requests/<int:pk>/", organisations.consortium_respond, name="consortium_respond"),
    path("calls/<slug:slug>/apply/", applications.application_start, name="application_start"),
    path("calls/<slug:slug>/continue/", applications.application_carry_over, name="application_carry_over"),
    path("applications/<int:pk>/", applications.application_detail, name="application_detail"),
    path("applications/<int:pk>/edit/", applications.application_edit, name="application_edit"),
    path("applications/<int:pk>/submit/", applications.application_submit, name="application_submit"),
    path("applications/<int:pk>/correct/", applications.application_correct, name="application_correct"),
    path("applications/<int:pk>/resubmit/", applications.application_resubmit, name="application_resubmit"),
    path("applications/<int:pk>/receipt.pdf", printouts.application_receipt, name="application_receipt"),
    path("applications/<int:pk>/withdraw/", applications.application_withdraw, name="application_withdraw"),
    path("applications/<int:pk>/accept/", applications.application_accept, name="application_accept"),
    path("applications/<int:pk>/members/", applications.member_add, name="member_add"),
    path(
        "applications/<int:pk>/members/<int:member_pk>/remove/",
        applications.member_remove,
        name="member_remove",
    ),
    path("applications/<int:pk>/documents/", applications.document_upload, name="document_upload"),
    path("documents/<int:pk>/", applications.document_download, name="document_download"),
    path("staff/eligibility/", staff.eligibility_queue, name="eligibility_queue"),
    path("staff/eligibility/decide/", staff.eligibility_bulk, name="eligibility_bulk"),
    path("staff/applications/<int:pk>/", staff.staff_application, name="staff_application"),
    path("staff/applications/<int:pk>/duplicates/run/", duplicates.run_check, name="duplicate_check_run"),
    path(
        "staff/duplicate-findings/<int:pk>/decide/",
        duplicates.decide_finding,
        name="duplicate_finding_decide",
    ),
    path(
        "staff/applications/<int:pk>/correction/",
        staff.correction_request,
        name="correction_request",
    ),
    path("staff/applications/<int:pk>/award/", money.award, name="award"),
    path("staff/projects/", money.project_list, name="project_list"),
    path("staff/projects/tranche/", money.bulk_tranche, name="bulk_tranche"),
    path("staff/projects/<int:pk>/", money.project_detail, name="project_detail"),
    path("projects/<int:pk>/", money.my_project, name="my_project"),
    path("reports/<int:pk>/", money.report_download, name="report_download"),
    path("reports/<int:pk>/results/", indicators.report_results, name="report_results"),
    path("indicator-evidence/<int:pk>/", indicators.evidence_download, name="indicator_evidence"),
    path("staff/calls/<slug:slug>/indicators/", indicators.call_indicators, name="call_indicators"),
    path("spending/<int:pk>/evidence/", spending.expenditure_evidence, name="expenditure_evidence"),
    path("spending/<int:pk>/correct/", spending.expenditure_correct, name="expenditure_correct"),
    path("spending/<int:pk>/withdraw/", spending.expenditure_withdraw, name="expenditure_withdraw"),
]
