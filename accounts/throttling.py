"""Login and sign-up throttling: what django-axes and django-ratelimit are told to count, and the
page a throttled person sees.

Settings (config/settings.py) choose where the counters live: Redis when CACHE_URL is set, the
database (axes) and the process's memory (sign-up) in the embedded default.
"""

from axes.helpers import get_cool_off
from django.conf import settings
from django.contrib.auth.signals import user_login_failed
from django.dispatch import receiver
from django.urls import Resolver404, resolve
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django_ratelimit.core import get_usage

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


# --- Failed log-ins per client address, across accounts -------------------------------------
# django-axes counts per (e-mail, address) pair; a guesser who spreads tries over many e-mail
# addresses stays under that limit, so failures are also counted per address alone (in the
# cache, with django-ratelimit's fixed windows), and at LOGIN_ADDRESS_FAILURE_LIMIT every log-in
# POST from that address is refused until the window ends. The address is the client's
# (accounts.client_address: X-Forwarded-For only from a trusted proxy).
LOGIN_ADDRESS_GROUP = "login-failures-per-address"
# The pages whose POST is a log-in: ours and the admin's.
LOGIN_URL_NAMES = {"accounts:login", "admin:login"}


def _login_address_usage(request, *, increment):
    rate = f"{settings.LOGIN_ADDRESS_FAILURE_LIMIT}/{settings.LOGIN_ADDRESS_WINDOW_MINUTES * 60}s"
    return get_usage(request, group=LOGIN_ADDRESS_GROUP, key="ip", rate=rate, increment=increment)


def login_address_blocked(request):
    """Whether the client's address has used up its failed log-ins for the current window."""
    usage = _login_address_usage(request, increment=False)
    return usage is not None and usage["count"] >= settings.LOGIN_ADDRESS_FAILURE_LIMIT


@receiver(user_login_failed, dispatch_uid="gongmo-count-login-failure-per-address")
def count_login_failure(sender, credentials=None, request=None, **kwargs):
    """Every failed authentication (our log-in page, the admin's) counts against the address."""
    if request is not None:
        _login_address_usage(request, increment=True)


def _is_login_post(request):
    if request.method != "POST":
        return False
    try:
        match = resolve(request.path_info)
    except Resolver404:
        return False
    return match.view_name in LOGIN_URL_NAMES


def address_locked_out(request):
    minutes = settings.LOGIN_ADDRESS_WINDOW_MINUTES
    message = ngettext(
        "Too many failed log-in attempts from your network. Try again in %(minutes)d minute.",
        "Too many failed log-in attempts from your network. Try again in %(minutes)d minutes.",
        minutes,
    ) % {"minutes": minutes}
    return throttled(request, _("Log-in temporarily blocked"), message)


class LoginAddressThrottleMiddleware:
    """Refuses a log-in POST from an address that failed too often, before any password is
    checked (so the right password is refused too while the block holds)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if _is_login_post(request) and login_address_blocked(request):
            return address_locked_out(request)
        return self.get_response(request)


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
