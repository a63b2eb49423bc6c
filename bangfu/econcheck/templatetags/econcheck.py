from django import template
from django.utils.translation import gettext as _

from bangfu.funds.money import format_yuan

register = template.Library()


@register.filter
def fen(value) -> str:
    """Whole fen as yuan with grouping; "—" for no value."""
    return "—" if value is None else format_yuan(value)


@register.filter
def yesno_blank(value) -> str:
    if value is None:
        return "—"
    return _("Yes") if value else _("No")
