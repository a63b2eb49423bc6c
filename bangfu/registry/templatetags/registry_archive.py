"""Template helpers of the archive pages: `{% code_label "cause" code %}` shows a code in the user's language."""

from django import template

from bangfu.registry.models.codes import code_label as _code_label

register = template.Library()


@register.simple_tag
def code_label(code_list: str, code: str) -> str:
    return _code_label(code_list, code)


@register.filter
def yuan(value) -> str:
    """An amount in yuan as the classification explanation shows it: thousands separators, two decimals
    ("12,600.00"), whatever the locale's number grouping (Chinese formats group nothing)."""
    from bangfu.registry.panels.classification import money

    return money(value) or money(0)
