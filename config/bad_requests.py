"""Refuse requests whose parameters carry a NUL character (``%00``) with a 400 page, before any
view runs: PostgreSQL cannot store or compare text containing NUL, so such a value in a filter
(``?call=%00``, an admin changelist's ``?state=%00``) or a form would otherwise end in a
server error. No legitimate form or link ever sends one."""

from django.utils.translation import gettext as _

from config.errors import error_page


def _has_nul(params):
    return any("\x00" in key or any("\x00" in value for value in params.getlist(key)) for key in params)


class RejectNulCharacters:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if (
            "\x00" in request.path
            or _has_nul(request.GET)
            or (request.method == "POST" and _has_nul(request.POST))
        ):
            return error_page(
                request,
                400,
                _("The request could not be understood"),
                _("The request contains a NUL character, which no field accepts."),
            )
        return self.get_response(request)
