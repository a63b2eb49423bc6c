from django import template

from bangfu.funds.money import format_yuan

register = template.Library()


@register.filter
def fen(value):
    """Whole fen shown as yuan."""
    try:
        return format_yuan(int(value))
    except (TypeError, ValueError):
        return "—"
