from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _


def pick_language(english, korean):
    """The Korean text when Korean is active and a Korean text exists, else the English one."""
    if korean and (get_language() or "").startswith("ko"):
        return korean
    return english


class LocalizedName(models.Model):
    """A name kept in English and Korean; ``display_name`` follows the active language."""

    name = models.CharField(_("name (English)"), max_length=200)
    name_ko = models.CharField(_("name (Korean)"), max_length=200, blank=True)

    class Meta:
        abstract = True

    def __str__(self):
        return self.display_name

    @property
    def display_name(self):
        return pick_language(self.name, self.name_ko)
