"""The smart-city schemes' pages. Each scheme adds its own patterns here."""

from django.urls import path

from . import views_analytics

app_name = "smartcity"

urlpatterns = [
    # analytics
    path("analytics/", views_analytics.analytics_page, name="analytics"),
    path(
        "analytics/<slug:table>.<str:kind>",
        views_analytics.analytics_export,
        name="analytics_export",
    ),
]
