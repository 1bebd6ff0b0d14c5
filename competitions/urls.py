from django.urls import path

from . import views, views_questions

app_name = "competitions"

urlpatterns = [
    path("", views.call_list, name="call_list"),
    path("calls/<slug:slug>/", views.call_detail, name="call_detail"),
    path("staff/calls/<slug:slug>/questions/", views_questions.question_builder, name="question_builder"),
]
