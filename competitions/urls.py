from django.urls import path

from . import views, views_imports, views_questions, views_setup, views_staff

app_name = "competitions"

urlpatterns = [
    path("", views.call_list, name="call_list"),
    path("calls/<slug:slug>/", views.call_detail, name="call_detail"),
    path("staff/calls/<slug:slug>/questions/", views_questions.question_builder, name="question_builder"),
    path(
        "staff/calls/<slug:slug>/eligibility/", views_setup.eligibility_rules_page, name="eligibility_rules"
    ),
    path("staff/calls/<slug:slug>/copy/", views_setup.copy_call_page, name="copy_call"),
    path("calls/<slug:slug>/questions/", views.ask_question, name="ask_question"),
    path("calls/<slug:slug>/documents/<int:pk>/", views.document_download, name="document_download"),
    path("staff/calls/<slug:slug>/publish/", views_staff.call_publish, name="call_publish"),
    path("staff/calls/<slug:slug>/notice/", views_staff.notice_page, name="staff_notice_page"),
    path("staff/calls/<slug:slug>/notice/<int:pk>/edit/", views_staff.notice_edit, name="staff_notice_edit"),
    path("staff/questions/", views_staff.question_queue, name="question_queue"),
    path("staff/imports/<uuid:token>/", views_imports.import_job, name="import_job"),
    path("staff/imports/<uuid:token>/confirm/", views_imports.confirm_import, name="import_job_confirm"),
    path("staff/questions/<int:pk>/answer/", views_staff.question_answer, name="question_answer"),
]
