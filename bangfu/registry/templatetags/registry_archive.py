"""Template helpers of the archive pages: `{% code_label "cause" code %}` shows a code in the user's language."""

from django import template

from bangfu.registry.models.codes import code_label as _code_label

register = template.Library()


@register.simple_tag
def code_label(code_list: str, code: str) -> str:
    return _code_label(code_list, code)
