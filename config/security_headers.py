"""The headers every page carries, and the early refusal of request bodies too big to read.

``SecurityHeaders`` adds the Content-Security-Policy and Permissions-Policy (settings
``CONTENT_SECURITY_POLICY`` and ``PERMISSIONS_POLICY``) to every response Django makes, and
``Cache-Control: no-store`` to every response for a logged-in person (a private page: the next
person at a shared computer must not find it in the browser's cache) and to every download
(``Content-Disposition``), whoever asked. Public pages for anonymous visitors stay cacheable.
Static files are served by WhiteNoise before this middleware runs: they keep their own headers.

``LimitRequestBody`` refuses, from the ``Content-Length`` header alone and before anything reads
the body (so a 300 MB POST is never read, parsed or spooled to disk), a body above
``ANONYMOUS_MAX_BODY_BYTES`` from someone not logged in and above ``MAX_REQUEST_BODY_BYTES``
from anyone, with the KRDS 413 page. It must come before every middleware that reads
``request.POST`` (the NUL guard, CSRF's view check); the proxy in front refuses bigger bodies
still earlier (docs/operations.md).
"""

from django.conf import settings
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _

from config.errors import error_page


class SecurityHeaders:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if settings.CONTENT_SECURITY_POLICY:
            response.headers.setdefault("Content-Security-Policy", settings.CONTENT_SECURITY_POLICY)
        if settings.PERMISSIONS_POLICY:
            response.headers.setdefault("Permissions-Policy", settings.PERMISSIONS_POLICY)
        user = getattr(request, "user", None)
        if (user is not None and user.is_authenticated) or "Content-Disposition" in response.headers:
            add_never_cache_headers(response)
        return response


class LimitRequestBody:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > settings.MAX_REQUEST_BODY_BYTES:
            return self._refuse(
                request,
                _("This site accepts at most %(limit)s MB in one request; nothing was saved.")
                % {"limit": settings.MAX_REQUEST_BODY_BYTES // (1024 * 1024)},
            )
        if length > settings.ANONYMOUS_MAX_BODY_BYTES and not request.user.is_authenticated:
            return self._refuse(
                request,
                _(
                    "Without logging in this site accepts at most %(limit)s KB in one request; nothing was saved. Log in first."
                )
                % {"limit": settings.ANONYMOUS_MAX_BODY_BYTES // 1024},
            )
        return self.get_response(request)

    def _refuse(self, request, message):
        return error_page(request, 413, _("What you sent is too large"), message)
