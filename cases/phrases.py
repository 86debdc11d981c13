"""Sentences the domain says to people, in both languages the product speaks.

A triage line or a notice is built from a case's facts, so it cannot be a fixed catalogue message: it
is written here once in Chinese (what the agencies read, and the dashboard's default) and once in
English (the API's and the record's language), side by side, from the same numbers. Like a stage or a
role, it carries its own two names; the dashboard's fixed words are its gettext catalogue.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import TypeVar


@dataclass(frozen=True)
class Both:
    zh: str
    en: str

    def said_in(self, lang: str) -> str:
        """In the language a page or a person asked for: English for "en", Chinese otherwise."""
        return self.en if lang == "en" else self.zh

    @staticmethod
    def join(items: Iterable[Both], *, none: Both, zh: str = "；", en: str = "; ") -> Both:
        """Items one after the other, or ``none`` when there are none."""
        listed = list(items)
        if not listed:
            return none
        return Both(zh.join(i.zh for i in listed), en.join(i.en for i in listed))


E = TypeVar("E", bound=StrEnum)


def word(labels: Mapping[E, tuple[str, str]], value: E) -> Both:
    """A value of the vocabulary by its two names (the value itself where it has none)."""
    zh, en = labels.get(value, (value.value, value.value))
    return Both(zh, en)


NONE_RECORDED = Both("未记录", "none recorded")
