from django.urls import path

from . import views

app_name = "audit"

urlpatterns = [
    path("audit/", views.exports, name="exports"),
    path("audit/jobs/<uuid:token>/", views.job, name="job"),
    path("audit/jobs/<uuid:token>/download/", views.download, name="download"),
]
