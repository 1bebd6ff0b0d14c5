"""The access log (issue 18): who opened which document, downloaded which workbook, exported
which admin list, logged in or failed to, and changed whose roles.

One place records everything, without the apps below knowing of it:

- ``AccessLogMiddleware`` remembers the request (for the role-change signals, which know no
  request) and records every download served to someone logged in: any response carrying
  ``Content-Disposition`` (an application's or project's document, a receipt or letter PDF, the
  funding workbook, an admin list exported with import-export), with the page's URL name, its
  arguments and the file's name. New download views are logged without a line of their own.
- ``user_logged_in`` / ``user_login_failed`` record log-ins and failures (the e-mail as typed).
- Group and permission changes of a user (either side of the relation) and changes of its
  ``is_staff`` / ``is_superuser`` / ``is_active`` flags record who changed whose roles; a
  group's own permissions changing (in the admin or anywhere) is recorded once, naming the
  group: it changes the roles of all its members at once.
- ``record_token`` is called by api.tokens when a personal access token is made or revoked,
  whatever the path (the account page, the API, the shell).

Entries are append-only (``AccessEvent``); the retention sweep (``prune_access_log``, daily in
beat and ``manage.py prune_access_log``) is the only deletion: older than
``ACCESS_LOG_RETENTION_DAYS``.
"""

import contextvars
from datetime import timedelta
from urllib.parse import unquote

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.utils import timezone

from accounts.consent import client_ip

from .models import AccessEvent

Action = AccessEvent.Action

_current_request = contextvars.ContextVar("gongmo_access_request", default=None)
_WATCHED_FLAGS = ("is_staff", "is_superuser", "is_active")


def record(action, *, request=None, actor=None, actor_email="", subject=None, target="", detail=None):
    """Write one entry; the actor and address come from ``request`` when not given."""
    if request is not None and actor is None:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            actor = user
    if actor is not None and not actor_email:
        actor_email = actor.email
    return AccessEvent.objects.create(
        action=action,
        actor=actor,
        actor_email=(actor_email or "")[:254],
        subject=subject,
        target=str(target)[:500],
        path=(request.get_full_path() if request is not None else "")[:500],
        ip_address=client_ip(request) if request is not None else None,
        detail=detail or {},
    )


# --- Downloads ----------------------------------------------------------------------------------


def _filename(disposition):
    """The file name a Content-Disposition header gives (RFC 6266 ``filename*`` first)."""
    for part in disposition.split(";"):
        key, _, value = part.strip().partition("=")
        if key.lower() == "filename*":
            return unquote(value.split("''", 1)[-1])
    for part in disposition.split(";"):
        key, _, value = part.strip().partition("=")
        if key.lower() == "filename":
            return value.strip('"')
    return ""


def _download_action(url_name):
    if url_name == "audit:download":
        return Action.WORKBOOK_DOWNLOADED
    if url_name.startswith("admin:") and url_name.endswith("_export"):
        return Action.ADMIN_EXPORT
    return Action.DOCUMENT_OPENED


def record_download(request, response):
    match = request.resolver_match
    url_name = match.view_name if match is not None else ""
    filename = _filename(response["Content-Disposition"])
    detail = {
        "view": url_name,
        "arguments": {key: str(value) for key, value in (match.kwargs if match else {}).items()},
    }
    action = _download_action(url_name)
    if action == Action.ADMIN_EXPORT:
        # Which list, with the filters it was exported under (the changelist's query string).
        detail["filters"] = request.POST.get("changelist_filters", "") or request.GET.urlencode()
    record(action, request=request, target=filename or url_name, detail=detail)


class AccessLogMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = _current_request.set(request)
        try:
            response = self.get_response(request)
        finally:
            _current_request.reset(token)
        user = getattr(request, "user", None)
        if (
            response.status_code == 200
            and "Content-Disposition" in response.headers
            and user is not None
            and user.is_authenticated
        ):
            record_download(request, response)
        return response


# --- Log-ins ------------------------------------------------------------------------------------


def on_logged_in(sender, request, user, **kwargs):
    record(Action.LOGGED_IN, request=request, actor=user)


def on_login_failed(sender, credentials, request=None, **kwargs):
    typed = credentials.get("username") or credentials.get("email") or ""
    user = get_user_model().objects.filter(email__iexact=typed).first() if typed else None
    record(
        Action.LOGIN_FAILED,
        request=request,
        actor=user,
        actor_email=typed,
    )


# --- Roles --------------------------------------------------------------------------------------


def _changer():
    request = _current_request.get()
    user = getattr(request, "user", None) if request is not None else None
    return request, (user if user is not None and user.is_authenticated else None)


def _record_role_change(subject, change):
    request, actor = _changer()
    record(
        Action.ROLES_CHANGED,
        request=request,
        actor=actor,
        actor_email="" if actor is not None else "system",
        subject=subject,
        detail=change,
    )


def _loaded_flags(instance):
    """The flags as loaded; a deferred one (``.only(...)``) is left out, never fetched."""
    return {flag: instance.__dict__[flag] for flag in _WATCHED_FLAGS if flag in instance.__dict__}


def on_user_init(sender, instance, **kwargs):
    instance._access_flags = _loaded_flags(instance)


def on_user_saved(sender, instance, created, update_fields=None, **kwargs):
    before = getattr(instance, "_access_flags", {})
    if update_fields is not None and not set(update_fields) & set(_WATCHED_FLAGS):
        return
    after = _loaded_flags(instance)
    if created:
        changed = {flag: [None, after.get(flag)] for flag in ("is_staff", "is_superuser") if after.get(flag)}
    else:
        changed = {
            flag: [before[flag], after[flag]]
            for flag in after
            if flag in before and before[flag] != after[flag]
        }
    instance._access_flags = after
    if changed:
        _record_role_change(instance, {"flags": changed})


def _names(model, pks):
    if model is Group:
        return sorted(Group.objects.filter(pk__in=pks).values_list("name", flat=True))
    return sorted(
        f"{app}.{codename}"
        for app, codename in Permission.objects.filter(pk__in=pks).values_list(
            "content_type__app_label", "codename"
        )
    )


def on_relation_changed(sender, instance, action, reverse, model, pk_set, **kwargs):
    """A user's groups or permissions changed, seen from the user (``user.groups.add``) or from
    the group (``group.user_set.add``)."""
    if action not in ("post_add", "post_remove", "pre_clear"):
        return
    User = get_user_model()
    kind = "groups" if sender is User.groups.through else "permissions"
    if not reverse:
        if action == "pre_clear":
            pk_set = set(getattr(instance, kind).values_list("pk", flat=True))
        if not pk_set:
            return
        verb = "added" if action == "post_add" else "removed"
        _record_role_change(
            instance, {kind: {verb: _names(model if kind == "permissions" else Group, pk_set)}}
        )
        return
    # From the group's or permission's side: one entry per user.
    if action == "pre_clear":
        pk_set = set(instance.user_set.values_list("pk", flat=True))
    if not pk_set:
        return
    verb = "added" if action == "post_add" else "removed"
    name = instance.name if kind == "groups" else f"{instance.content_type.app_label}.{instance.codename}"
    for user in User.objects.filter(pk__in=pk_set):
        _record_role_change(user, {kind: {verb: [name]}})


def on_group_permissions_changed(sender, instance, action, reverse, model, pk_set, **kwargs):
    """A group's permissions changed, seen from the group (``group.permissions.set``, the
    admin's group form) or from the permission (``permission.group_set.add``): one entry per
    group, naming the permissions added or removed."""
    if action not in ("post_add", "post_remove", "pre_clear"):
        return
    if action == "pre_clear":
        pk_set = set((instance.group_set if reverse else instance.permissions).values_list("pk", flat=True))
    if not pk_set:
        return
    verb = "added" if action == "post_add" else "removed"
    request, actor = _changer()
    if reverse:
        changes = [(group, [instance.pk]) for group in Group.objects.filter(pk__in=pk_set)]
    else:
        changes = [(instance, pk_set)]
    for group, permissions in changes:
        record(
            Action.GROUP_CHANGED,
            request=request,
            actor=actor,
            actor_email="" if actor is not None else "system",
            target=group.name,
            detail={"group": group.pk, "permissions": {verb: _names(Permission, permissions)}},
        )


def record_token(token, *, created, by, request=None):
    """A personal access token made (``created``) or revoked by ``by``: whose, which (its name
    and first characters, never the token), its scope and expiry."""
    request = request or _current_request.get()
    record(
        Action.TOKEN_CREATED if created else Action.TOKEN_REVOKED,
        request=request,
        actor=by,
        subject=token.user,
        target=str(token),
        detail={
            "token": token.pk,
            "scope": token.scope,
            "expires_at": token.expires_at.isoformat(),
        },
    )


def describe_role_change(detail):
    """An entry's role change in a line: "groups +auditor −staff; is_staff False → True"."""
    parts = []
    for kind in ("groups", "permissions"):
        change = detail.get(kind) or {}
        names = [f"+{name}" for name in change.get("added", [])] + [
            f"−{name}" for name in change.get("removed", [])
        ]
        if names:
            parts.append(f"{kind} {' '.join(names)}")
    for flag, (before, after) in (detail.get("flags") or {}).items():
        parts.append(f"{flag} {before} → {after}")
    return "; ".join(parts)


# --- Retention ----------------------------------------------------------------------------------


def prune_access_log(now=None):
    """Delete the entries older than ACCESS_LOG_RETENTION_DAYS; returns how many went."""
    cutoff = (now or timezone.now()) - timedelta(days=settings.ACCESS_LOG_RETENTION_DAYS)
    return AccessEvent.objects.prune(cutoff)


# --- Imports ------------------------------------------------------------------------------------


def on_import_finished(sender, model, by, file_name, totals, request=None, job=None, **kwargs):
    """An admin spreadsheet import was written (competitions.signals.import_finished): who, into
    which list, from which file, how many rows; a background one names its job."""
    detail = {"list": model._meta.label, "totals": totals}
    if job is not None:
        detail["job"] = str(job.token)
    record(
        Action.ADMIN_IMPORT,
        request=request,
        actor=by,
        target=f"{model._meta.label}: {file_name}",
        detail=detail,
    )
