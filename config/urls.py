from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _

from api import pages as api_pages
from config import errors
from config.health import healthz

admin.site.site_header = _("Gongmo administration")
admin.site.site_title = _("Gongmo")
admin.site.index_title = _("Ministry staff")

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("favicon.ico", errors.favicon, name="favicon"),
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("accounts/", include("accounts.urls")),
    path("api/", include("api.urls")),
    path("accounts/tokens/", api_pages.token_list, name="api_tokens"),
    path("accounts/tokens/<int:pk>/revoke/", api_pages.token_revoke, name="api_token_revoke"),
    path("", include("projects.urls")),
    path("", include("evaluation.urls")),
    path("", include("audit.urls")),
    path("smart-city/", include("smartcity.urls")),
    path("", include("competitions.urls")),
]

handler400 = "config.errors.bad_request"
handler403 = "config.errors.permission_denied"
handler404 = "config.errors.page_not_found"
handler500 = "config.errors.server_error"
