from django.urls import path

from . import (
    views,
    views_committee,
    views_dashboards,
    views_letters,
    views_public_results,
    views_schedule,
    views_stages,
)

app_name = "evaluation"

urlpatterns = [
    path("review/", views_dashboards.my_reviews, name="my_reviews"),
    path("review/<int:pk>/", views.review_form, name="review_form"),
    path("review/<int:pk>/documents/<int:document_pk>/", views.review_document, name="review_document"),
    path("review/<int:pk>/recuse/", views.recuse, name="recuse"),
    path("review/welcome/<str:token>/", views_committee.invitation_accept, name="invitation_accept"),
    path("staff/", views_dashboards.staff_home, name="staff_home"),
    path("staff/reviewers/", views_committee.reviewer_pool, name="reviewer_pool"),
    path("staff/reviewers/import/", views_committee.reviewer_import, name="reviewer_import"),
    path(
        "staff/reviewers/invitations/<int:pk>/resend/",
        views_committee.invitation_resend,
        name="invitation_resend",
    ),
    path("staff/calls/<slug:slug>/panels/", views_committee.call_panels, name="panels"),
    path("staff/calls/<slug:slug>/", views_dashboards.call_dashboard_view, name="call_dashboard"),
    path("staff/calls/<slug:slug>/evaluation/", views.evaluation_overview, name="overview"),
    path("staff/calls/<slug:slug>/evaluation/assign/", views.assign, name="assign"),
    path("staff/calls/<slug:slug>/evaluation/close/", views.close, name="close"),
    path("staff/calls/<slug:slug>/evaluation/remind/", views.remind, name="remind"),
    path("staff/calls/<slug:slug>/selection/", views.selection, name="selection"),
    path("staff/calls/<slug:slug>/stages/", views_stages.stages, name="stages"),
    path(
        "staff/calls/<slug:slug>/public-results/",
        views_public_results.public_results_page,
        name="public_results",
    ),
    path("staff/calls/<slug:slug>/stages/<int:pk>/schedule/", views_schedule.schedule, name="schedule"),
    path("slots/<int:pk>/change/", views_schedule.request_change, name="slot_change"),
    path("staff/objections/", views.objection_list, name="objections"),
    path("staff/objections/<int:pk>/decide/", views.objection_decide, name="objection_decide"),
    path("applications/<int:pk>/decline/", views.decline, name="decline"),
    path("applications/<int:pk>/object/", views.object_to_outcome, name="object"),
    path("applications/<int:pk>/letter/", views_letters.result_letter, name="result_letter"),
    path("applications/<int:pk>/letter.pdf", views_letters.result_letter_pdf, name="result_letter_pdf"),
]
