"""The initials of a name are pypinyin's, phrases included, whichever way `initials` computes them."""

from __future__ import annotations

import pytest
from pypinyin import Style, lazy_pinyin

from bangfu.registry.search import initials


def _pypinyin(name: str) -> str:
    letters = "".join(lazy_pinyin(name, style=Style.FIRST_LETTER, errors=lambda chars: list(chars)))
    return "".join(ch for ch in letters.lower() if ch.isascii() and ch.isalnum())[:32]


@pytest.mark.parametrize("name", [
    "张三丰", "王长春", "李长江", "曾小贤", "单雄信", "长长", "王重庆", "朝阳", "欧阳娜娜", "王 小明", "李·阿强",
    "Zhang San", "Ａ王", "绿绿", "王1号", "", "长春长春长春长春长春", "解放军", "乐乐", "银行行长",
])
def test_initials_are_pypinyins(name):
    initials.cache_clear()
    assert initials(name) == _pypinyin(name)


def test_a_polyphone_is_read_by_its_phrase():
    assert initials("王长春") == "wcc"  # 长春: chang chun
    assert initials("王长") == "wz"  # alone: zhang
