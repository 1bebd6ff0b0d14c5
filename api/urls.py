from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView
from rest_framework.routers import SimpleRouter

from . import views

router = SimpleRouter()
router.register("calls", views.CallViewSet, basename="call")
router.register("organisations", views.OrganisationViewSet, basename="organisation")
router.register("applications", views.ApplicationViewSet, basename="application")
router.register("projects", views.ProjectViewSet, basename="project")
router.register("consortium-requests", views.ConsortiumRequestViewSet, basename="consortium-request")
router.register("objections", views.ObjectionViewSet, basename="objection")
router.register("reviews", views.ReviewViewSet, basename="review")

app_name = "api"

urlpatterns = [
    path("v1/", include(router.urls)),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api:schema"), name="docs"),
    path("redoc/", SpectacularRedocView.as_view(url_name="api:schema"), name="redoc"),
]
