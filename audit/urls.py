from django.urls import path

from . import access_views, views

app_name = "audit"

urlpatterns = [
    path("audit/", views.exports, name="exports"),
    path("audit/jobs/<uuid:token>/", views.job, name="job"),
    path("audit/jobs/<uuid:token>/download/", views.download, name="download"),
    path("audit/access-log/", access_views.access_log, name="access_log"),
]
