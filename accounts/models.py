"""People who sign in: applicants, ministry staff, reviewers, auditors.

Login is by e-mail (there is no username). A person's roles are Django groups (see roles.py);
applicants are whoever belongs to an Organisation.
"""

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.contrib.auth.models import UserManager as DjangoUserManager
from django.db import models
from django.db.models.functions import Lower
from django.utils import translation
from django.utils.translation import gettext_lazy as _


class UserManager(DjangoUserManager):
    use_in_migrations = True

    def _create_user(self, email, password, **extra_fields):
        if not email:
            raise ValueError("An e-mail address is required.")
        email = self.normalize_email(email).lower()
        user = self.model(email=email, **extra_fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def get_by_natural_key(self, username):
        """Log-in by e-mail, whatever its case: 'Foo@X.kr' is foo@x.kr's account (addresses are
        stored lower-case, and a case-insensitive unique constraint keeps them one per person)."""
        return self.get(email__iexact=(username or "").strip())

    def create_user(self, email, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra_fields)

    def create_superuser(self, email, password=None, **extra_fields):
        extra_fields["is_staff"] = True
        extra_fields["is_superuser"] = True
        return self._create_user(email, password, **extra_fields)


class User(AbstractUser):
    username = None
    email = models.EmailField(_("e-mail address"), unique=True)
    language = models.CharField(
        _("language"),
        max_length=10,
        choices=settings.LANGUAGES,
        default=settings.LANGUAGE_CODE,
        help_text=_("The language of the e-mails sent to this person."),
    )
    # A Korean name is written in Hangul, family name first; English pages show the name the
    # person gives in Latin letters beside it (as in a passport), since Hangul alone is
    # unreadable to a foreign reviewer or auditor.
    name_en = models.CharField(
        _("name in English"),
        max_length=150,
        blank=True,
        help_text=_("As in your passport, e.g. Minsu Kim. Shown beside your name on English pages."),
    )

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS = []

    objects = UserManager()

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [
            # One account per address whatever its case (the admin's forms included).
            models.UniqueConstraint(Lower("email"), name="user_email_unique_case_insensitive")
        ]

    def clean(self):
        super().clean()
        self.email = (self.email or "").strip().lower()

    def __str__(self):
        return self.display_name

    @property
    def display_name(self):
        """The name shown on a page: the whole name (family name first if Korean), with the
        English name beside it on pages not in Korean (김민수 (Minsu Kim))."""
        name = self.get_full_name() or self.email
        english = (self.name_en or "").strip()
        if english and english != name and not (translation.get_language() or "").startswith("ko"):
            return f"{name} ({english})"
        return name

    def get_full_name(self):
        """The name as its owner's language writes it: a Korean name family name first and
        without a space (김민수), any other given name first (Minsu Kim)."""
        return full_name(self.first_name, self.last_name)

    full_name = property(get_full_name)


def _is_hangul(text):
    return any("\uac00" <= ch <= "\ud7a3" or "\u3131" <= ch <= "\u318e" for ch in text)


def full_name(first_name, last_name):
    """The one rule for a person's whole name (see User.get_full_name)."""
    first, last = (first_name or "").strip(), (last_name or "").strip()
    if _is_hangul(first + last):
        return f"{last}{first}"
    return " ".join(part for part in (first, last) if part)


class ConsentText(models.Model):
    """A version of the personal-data consent (개인정보 수집·이용 동의) people agree to at sign-up.

    The version in force is the latest whose effective date has come (accounts.consent); a new
    one is a new row, never an edit of the old, so every acceptance keeps the text it accepted.
    """

    version = models.CharField(_("version"), max_length=20, unique=True)
    text_ko = models.TextField(_("text (Korean)"))
    text_en = models.TextField(_("text (English)"))
    effective_at = models.DateTimeField(_("effective from"))
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["-effective_at", "-pk"]
        verbose_name = _("personal-data consent text")
        verbose_name_plural = _("personal-data consent texts")

    def __str__(self):
        return self.version

    @property
    def display_text(self):
        from django.utils.translation import get_language

        return self.text_ko if (get_language() or "").startswith("ko") else self.text_en


class ConsentAcceptance(models.Model):
    """Who accepted which version of the consent, when, and from which address."""

    user = models.ForeignKey(
        User, on_delete=models.PROTECT, related_name="consent_acceptances", verbose_name=_("user")
    )
    consent = models.ForeignKey(
        ConsentText, on_delete=models.PROTECT, related_name="acceptances", verbose_name=_("consent text")
    )
    accepted_at = models.DateTimeField(_("accepted"))
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)

    class Meta:
        ordering = ["-accepted_at"]
        verbose_name = _("personal-data consent")
        verbose_name_plural = _("personal-data consents")
        constraints = [
            models.UniqueConstraint(fields=["user", "consent"], name="one_acceptance_per_consent_version")
        ]

    def __str__(self):
        return f"{self.user} — {self.consent}"
