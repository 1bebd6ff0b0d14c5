"""The error pages: 400, 403, 404 and 429 in the site's KRDS layout with the way back, 500 from
a template that needs neither the database nor a context processor (whatever broke may be
either), and the favicon's old address.

config/urls.py names the handlers; CSRF_FAILURE_VIEW names ``csrf_failure``; the throttles
(accounts/throttling.py) and the NUL guard (config/bad_requests.py) render these pages too.
"""

import logging

from django.http import HttpResponseServerError, JsonResponse
from django.shortcuts import render
from django.template import loader
from django.templatetags.static import static
from django.utils.translation import gettext as _
from django.views.decorators.csrf import requires_csrf_token
from django.views.generic.base import RedirectView

logger = logging.getLogger(__name__)


# The API's addresses (api/): a program reads its refusals as JSON, never as a page.
API_PREFIX = "/api/v1/"


def error_page(request, status, title, message="", template_name=None):
    """The KRDS error page for ``status``: a heading, what happened and the way back (for the
    API, the same words as JSON: {"detail": ...})."""
    if request.path.startswith(API_PREFIX):
        return JsonResponse({"detail": str(message or title)}, status=status)
    return render(
        request,
        template_name or f"{status}.html",
        {"title": title, "message": message, "status": status},
        status=status,
    )


@requires_csrf_token
def bad_request(request, exception, template_name="400.html"):
    return error_page(
        request,
        400,
        _("The request could not be understood"),
        _("The address or the form sent something this site cannot read. Go back and try again."),
        template_name,
    )


@requires_csrf_token
def permission_denied(request, exception, template_name="403.html"):
    return error_page(request, 403, _("You may not open this page"), template_name=template_name)


@requires_csrf_token
def page_not_found(request, exception, template_name="404.html"):
    return error_page(request, 404, _("Page not found"), template_name=template_name)


@requires_csrf_token
def server_error(request, template_name="500.html"):
    """Rendered without the request: no context processor (the user, the roles, the messages)
    runs, so a broken database cannot break the error page too. If even the template fails,
    a bare page in both languages is sent."""
    try:
        return HttpResponseServerError(loader.get_template(template_name).render())
    except Exception:
        logger.exception("The 500 page could not be rendered")
        return HttpResponseServerError(
            "<!DOCTYPE html><html lang='ko'><head><meta charset='utf-8'><title>오류 | Error</title></head>"
            "<body><h1>일시적인 오류가 발생했습니다</h1><p>잠시 후 다시 시도해 주십시오.</p>"
            "<h1 lang='en'>Something went wrong</h1><p lang='en'>Please try again in a moment.</p>"
            "<p><a href='/'>공모 첫 화면 · Gongmo home</a></p></body></html>"
        )


def csrf_failure(request, reason=""):
    """A form sent without its valid security token: most often a page left open past the
    session's end, or cookies blocked."""
    return error_page(
        request,
        403,
        _("The form has expired"),
        _(
            "For your security the form could not be accepted: the page was open too long or "
            "your browser blocks cookies. Go back, reload the page and send the form again."
        ),
        template_name="403.html",
    )


def favicon(request):
    """Browsers ask for /favicon.ico on their own: send them to the site's icon."""
    return RedirectView.as_view(url=static("gongmo/favicon.svg"), permanent=False)(request)
