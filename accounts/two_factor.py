"""Two-factor log-in (django-otp): an authenticator app's time-based codes (TOTP) and one-time
recovery codes.

Required for ministry staff, auditors and anyone with admin access (``requires_two_factor``);
offered to everyone else, and once turned on it is asked at every log-in. The second step comes
after the password: the person is logged in but not *verified* (django-otp's
``request.user.is_verified()``), and ``RequireTwoFactorMiddleware`` lets them reach nothing but
the verification or enrolment pages (and log-out) until they are.

Every change of a person's second factor (set up, turned off, reset by a superuser, new recovery
codes) is logged with who, when and why as an admin log entry on the person's account.
"""

from base64 import b32encode

import segno
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.auth.signals import user_logged_in
from django.db import transaction
from django.dispatch import receiver
from django.shortcuts import redirect
from django.urls import Resolver404, resolve, reverse
from django.utils.http import urlencode
from django_otp import login as otp_login
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from .roles import Role, roles_of

# Logged in with a password by someone who turned two-factor on: the second step is pending.
PENDING_SESSION_KEY = "gongmo_two_factor_pending"
RECOVERY_CODE_COUNT = 10
TOTP_NAME = "authenticator"
RECOVERY_NAME = "recovery codes"
# The enrolment's secret is kept server-side in the session until confirmed (never re-shown).
ENROLMENT_SESSION_KEY = "gongmo_two_factor_enrolment"

REQUIRED_ROLES = frozenset({Role.STAFF.value, Role.AUDITOR.value})


def requires_two_factor(user):
    """Staff, auditors, and whoever may enter the admin must use a second factor."""
    if not user.is_authenticated:
        return False
    return bool(user.is_staff or user.is_superuser or roles_of(user) & REQUIRED_ROLES)


def authenticator(user):
    """The person's confirmed authenticator (TOTP device), or None."""
    return TOTPDevice.objects.filter(user=user, confirmed=True).first()


def has_two_factor(user):
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def log_change(user, *, by, message):
    """An admin log entry on ``user``'s account: who changed their second factor, when, why."""
    LogEntry.objects.log_actions(by.pk, [user], CHANGE, change_message=message, single_object=True)


# --- Enrolment -----------------------------------------------------------------------------


def start_enrolment(user):
    """A new, unconfirmed authenticator with a fresh secret (any earlier unconfirmed one is
    dropped, so a secret is shown once: reloading the page shows another)."""
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user, confirmed=False).delete()
        return TOTPDevice.objects.create(user=user, name=TOTP_NAME, confirmed=False)


def secret_of(device):
    """The secret as authenticator apps type it in (base32, in groups of four)."""
    raw = b32encode(device.bin_key).decode("ascii").rstrip("=")
    return " ".join(raw[i : i + 4] for i in range(0, len(raw), 4))


def qr_svg(device):
    """The otpauth:// address as an inline SVG QR code (no image request, no CDN)."""
    return segno.make(device.config_url, error="m").svg_inline(scale=4, border=2, dark="#1d1d1d")


def normalise_code(code):
    return "".join((code or "").split()).lower()


def confirm_enrolment(user, device_id, code):
    """Confirm the pending authenticator with a code it shows; returns the new recovery codes,
    or None when the code is wrong (nothing changes then)."""
    with transaction.atomic():
        device = (
            TOTPDevice.objects.select_for_update().filter(pk=device_id, user=user, confirmed=False).first()
        )
        if device is None or has_two_factor(user) or not device.verify_token(normalise_code(code)):
            return None, None
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        codes = _replace_recovery_codes(user)
        log_change(user, by=user, message="Two-factor log-in set up (authenticator and recovery codes).")
    return device, codes


def _replace_recovery_codes(user):
    device, _created = StaticDevice.objects.get_or_create(
        user=user, name=RECOVERY_NAME, defaults={"confirmed": True}
    )
    device.token_set.all().delete()
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODE_COUNT)]
    StaticToken.objects.bulk_create([StaticToken(device=device, token=code) for code in codes])
    return codes


# --- Verification --------------------------------------------------------------------------


def verify_code(user, code):
    """The device that accepts ``code`` (the authenticator's current code, or an unused recovery
    code, which is used up), or None. django-otp throttles each device after wrong codes."""
    code = normalise_code(code)
    if not code:
        return None
    with transaction.atomic():
        for model in (TOTPDevice, StaticDevice):
            for device in model.objects.select_for_update().filter(user=user, confirmed=True):
                if device.verify_token(code):
                    return device
    return None


def mark_verified(request, device):
    """The session passed the second step with ``device``."""
    otp_login(request, device)
    request.session.pop(PENDING_SESSION_KEY, None)


def new_recovery_codes(user, code):
    """Replace the recovery codes (the old ones stop working), given a current code."""
    if verify_code(user, code) is None:
        return None
    with transaction.atomic():
        codes = _replace_recovery_codes(user)
        log_change(
            user, by=user, message="New two-factor recovery codes made; the earlier ones no longer work."
        )
    return codes


def disable(user, code):
    """Turn two-factor off (or start again, for those who must have it), given a current code.
    Returns whether it was done."""
    if verify_code(user, code) is None:
        return False
    with transaction.atomic():
        _remove_devices(user)
        log_change(user, by=user, message="Two-factor log-in turned off by the person, with a current code.")
    return True


def reset_by_superuser(user, *, by, reason):
    """A superuser removes ``user``'s second factor (a lost phone); they enrol again at their
    next log-in. Logged with the superuser and the reason."""
    if not by.is_superuser:
        raise PermissionError("Only a superuser resets another person's two-factor log-in.")
    with transaction.atomic():
        _remove_devices(user)
        log_change(user, by=by, message=f"Two-factor log-in reset by {by.email}: {reason}")


def _remove_devices(user):
    TOTPDevice.objects.filter(user=user).delete()
    StaticDevice.objects.filter(user=user).delete()


def recovery_codes_left(user):
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


# --- Log-in step and the guard -------------------------------------------------------------


@receiver(user_logged_in, dispatch_uid="gongmo-two-factor-pending")
def on_login(sender, request=None, user=None, **kwargs):
    """After any log-in (ours, the admin's): remember that the second step is pending for a
    person who turned it on (those who must have it are guarded by their role anyway)."""
    verified = getattr(user, "otp_device", None) is not None
    if request is not None and hasattr(request, "session") and not verified and has_two_factor(user):
        request.session[PENDING_SESSION_KEY] = True


def needs_second_step(request):
    """Whether this signed-in session must still verify (or enrol) before going anywhere."""
    user = request.user
    # Just after login() request.user is the bare user (no django-otp accessors yet).
    if not user.is_authenticated or getattr(user, "otp_device", None) is not None:
        return False
    return bool(request.session.get(PENDING_SESSION_KEY)) or requires_two_factor(user)


def second_step_url(request, next_url):
    """The verification page, or the enrolment page for someone who has no authenticator yet,
    with ``next`` encoded."""
    name = "accounts:two_factor_verify" if has_two_factor(request.user) else "accounts:two_factor_enrol"
    return f"{reverse(name)}?{urlencode({'next': next_url})}"


# Reachable before the second step: the step itself, log-out, the language switch, error pages.
EXEMPT_URL_NAMES = frozenset(
    {
        "accounts:two_factor_verify",
        "accounts:two_factor_enrol",
        "accounts:logout",
        "set_language",
        "favicon",
        "healthz",
    }
)


def _exempt(request):
    try:
        match = resolve(request.path_info)
    except Resolver404:
        return False
    return match.view_name in EXEMPT_URL_NAMES


class RequireTwoFactorMiddleware:
    """Sends a signed-in person who has not passed the second step to it (fail closed: every
    page, staff's, auditors' and the admin's included, until verified)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if needs_second_step(request) and not _exempt(request):
            return redirect(second_step_url(request, request.get_full_path()))
        return self.get_response(request)
