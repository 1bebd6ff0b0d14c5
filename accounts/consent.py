"""Personal-data consent (개인정보 수집·이용 동의): the version in force, whether a person has
accepted it, and recording an acceptance (who, which version, when, from which IP address).

A person signs up by ticking the version in force; when a new version takes effect, each person
is asked again at their next log-in (accounts.views.LoginView), and may go on only after ticking.
"""

from django.db import IntegrityError, transaction
from django.utils import timezone

from .client_address import client_address
from .models import ConsentAcceptance, ConsentText


def current_consent(now=None):
    """The version in force: the latest whose effective date has come (None before any)."""
    return ConsentText.objects.filter(effective_at__lte=now or timezone.now()).first()


def needs_consent(user, now=None):
    """The version ``user`` must still accept, or None."""
    consent = current_consent(now)
    if consent is None or not user.is_authenticated:
        return None
    if ConsentAcceptance.objects.filter(user=user, consent=consent).exists():
        return None
    return consent


def client_ip(request):
    """The address the request came from (a trusted proxy's X-Forwarded-For, else REMOTE_ADDR:
    accounts.client_address)."""
    return client_address(request)


def record_consent(user, consent, request=None):
    """Record that ``user`` accepted ``consent`` now (once per version: a second tick keeps the first)."""
    try:
        with transaction.atomic():
            return ConsentAcceptance.objects.create(
                user=user, consent=consent, accepted_at=timezone.now(), ip_address=client_ip(request)
            )
    except IntegrityError:
        return ConsentAcceptance.objects.get(user=user, consent=consent)
