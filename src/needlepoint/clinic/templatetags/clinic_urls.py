"""`{% id_url 'clinic:patient_detail' patient.pk as patient_url %}`: the address of a page that
takes one integer id, or "" when no such page exists — what `{% url ... as var %}` gives, but
the name is resolved once per page and the id filled in for each row, so a list of fifty rows
does not resolve the same URL fifty times."""

from typing import Any

from django import template
from django.urls import NoReverseMatch, reverse

register = template.Library()

SENTINEL = 918273645546372819
"""An id no row has, reversed in place of the real one and then replaced by it (the `int` path
converter writes an id as its decimal digits, so the rest of the address does not change)."""
_CACHE = "clinic_urls.id_url"


def _pattern(context: template.Context, name: str) -> str:
    cache = context.render_context.get(_CACHE)
    if cache is None:
        cache = context.render_context[_CACHE] = {}
    if name not in cache:
        try:
            cache[name] = reverse(name, args=[SENTINEL])
        except NoReverseMatch:
            cache[name] = ""
    return str(cache[name])


@register.simple_tag(takes_context=True)
def id_url(context: template.Context, name: str, pk: Any) -> str:
    pattern = _pattern(context, name)
    if not pattern or pk in (None, ""):
        return ""
    return pattern.replace(str(SENTINEL), str(int(pk)))
