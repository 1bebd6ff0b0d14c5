"""Login and sign-up throttling: what django-axes and django-ratelimit are told to count, and the
page a throttled person sees.

Settings (config/settings.py) choose where the counters live: Redis when CACHE_URL is set, the
database (axes) and the process's memory (sign-up) in the embedded default.
"""

from axes.helpers import get_cool_off
from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from config.errors import error_page

THROTTLED_TEMPLATE = "accounts/throttled.html"


def login_username(request, credentials):
    """The e-mail as the login form gives it, normalised as the user model stores it, so that
    'A@x.kr' and ' a@x.kr' count against the same (username, IP) pair."""
    data = credentials if credentials is not None else getattr(request, "POST", {})
    username = (data or {}).get(settings.AXES_USERNAME_FORM_FIELD) or ""
    return username.strip().lower() or None


def _minutes(delta):
    return max(1, int(delta.total_seconds() // 60)) if delta else 0


def locked_out(request, original_response=None, credentials=None):
    """The lockout page (429): what happened, how long to wait, and what to do meanwhile."""
    minutes = _minutes(get_cool_off(request))
    message = ngettext(
        "Too many failed log-in attempts for this e-mail address. Try again in %(minutes)d minute.",
        "Too many failed log-in attempts for this e-mail address. Try again in %(minutes)d minutes.",
        minutes,
    ) % {"minutes": minutes}
    return throttled(request, _("Log-in temporarily blocked"), message)


def signup_rate(group, request):
    """django-ratelimit reads the rate per request, so the setting can change without a restart
    of the decorator (and in tests)."""
    return settings.SIGNUP_RATE


def signup_refused(request):
    message = _(
        "Too many sign-up attempts from your network. Wait an hour and try again, or log in if you "
        "already have an account."
    )
    return throttled(request, _("Sign-up temporarily blocked"), message)


def password_reset_rate(group, request):
    return settings.PASSWORD_RESET_RATE


def password_reset_refused(request):
    message = _(
        "Too many password reset requests from your network or for this e-mail address. Wait an "
        "hour and try again; the e-mail already sent stays valid."
    )
    return throttled(request, _("Password reset temporarily blocked"), message)


def throttled(request, title, message):
    """The KRDS 429 page (config/errors.py) with what to do while the throttle holds."""
    return error_page(request, 429, title, message, THROTTLED_TEMPLATE)
