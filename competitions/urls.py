from django.urls import path

from . import views

app_name = "competitions"

urlpatterns = [
    path("", views.call_list, name="call_list"),
    path("calls/<slug:slug>/", views.call_detail, name="call_detail"),
]
