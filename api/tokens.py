"""Making, checking and revoking personal access tokens (api.models.PersonalAccessToken).

A token is ``gm_`` followed by 40 random URL-safe characters; the database keeps its SHA-256
only, so a stolen database does not give working tokens. Checking a token refuses an unknown,
expired or revoked one with the same answer, and records when it was last used. Making and
revoking a token are written to the access log here, so every path to them is logged."""

import hashlib
import secrets
from datetime import timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.access import record_token

from .models import PersonalAccessToken, Scope

PREFIX = "gm_"
# How long a token may live, in days: the choices offered on the page and the longest allowed.
LIFETIMES = (7, 30, 90, 365)
MAX_LIFETIME_DAYS = max(LIFETIMES)
# A token's last use is written at most this often (a busy script would otherwise write per call).
LAST_USED_EVERY = timedelta(minutes=1)


def digest(raw):
    return hashlib.sha256(raw.encode()).hexdigest()


def create_token(user, *, name, scope, days, now=None, request=None):
    """Make a token for ``user``; returns (the stored token, the raw token to show once)."""
    now = now or timezone.now()
    name = (name or "").strip()
    errors = {}
    if not name:
        errors["name"] = _("Name the token, for example after the program that will use it.")
    if scope not in Scope.values:
        errors["scope"] = _("Choose read, or read and write.")
    if days not in LIFETIMES:
        errors["days"] = _("Choose how long the token lives: %(choices)s days.") % {
            "choices": ", ".join(str(d) for d in LIFETIMES)
        }
    if errors:
        raise ValidationError(errors)
    raw = PREFIX + secrets.token_urlsafe(30)
    with transaction.atomic():
        token = PersonalAccessToken.objects.create(
            user=user,
            name=name[:100],
            prefix=raw[:10],
            token_hash=digest(raw),
            scope=scope,
            expires_at=now + timedelta(days=days),
        )
        record_token(token, created=True, by=user, request=request)
    return token, raw


def revoke_token(token, *, by, now=None, request=None):
    """Revoke ``token`` (its owner only). The token stays on record; revoking twice changes
    nothing (and is logged once)."""
    if token.user_id != by.pk:
        raise PermissionDenied(_("You may revoke only your own tokens."))
    with transaction.atomic():
        locked = PersonalAccessToken.objects.select_for_update().get(pk=token.pk)
        if locked.revoked_at is None:
            locked.revoked_at = now or timezone.now()
            locked.revoked_by = by
            locked.save(update_fields=["revoked_at", "revoked_by"])
            record_token(locked, created=False, by=by, request=request)
    return locked


def authenticate(raw, *, now=None):
    """The active token ``raw`` names, with its user, or None (unknown, expired, revoked, or
    its user deactivated)."""
    if not raw or not raw.startswith(PREFIX) or len(raw) > 100:
        return None
    now = now or timezone.now()
    token = PersonalAccessToken.objects.select_related("user").filter(token_hash=digest(raw)).first()
    if token is None or not token.is_active(now) or not token.user.is_active:
        return None
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_EVERY:
        PersonalAccessToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token
