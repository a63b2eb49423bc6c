"""Money in templates: `{{ amount_fen|yuan }}` → "12,345.60", `{{ amount_fen|capital }}` → 壹万贰仟叁佰肆拾伍元陆角."""

from django import template

from bangfu.funds.money import capital_amount, format_yuan

register = template.Library()


@register.filter
def yuan(fen):
    return format_yuan(fen) if fen is not None else ""


@register.filter
def capital(fen):
    return capital_amount(fen) if fen is not None else ""
