"""The smart-city schemes' pages. Each scheme adds its own patterns here."""

app_name = "smartcity"

urlpatterns = []
