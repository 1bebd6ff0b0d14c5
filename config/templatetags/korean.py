"""Korean particles in templates: ``{{ name|particle:"은/는" }}`` gives the name followed by the
particle its last sound takes; ``{{ message|particles }}`` resolves '은(는)'-style markers left in
a message once its variables were filled in (config/korean.py)."""

from django import template

from config import korean

register = template.Library()


@register.filter(is_safe=True)
def particle(word, which):
    return korean.with_particle(word, which)


@register.filter(is_safe=True)
def particles(text):
    return korean.resolve_particles(text)
