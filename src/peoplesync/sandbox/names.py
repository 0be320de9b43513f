"""Pools of personal names per locale, built once per seed with Faker.

Faker is slow per call, so it only fills small pools; people are then picked from the pools with
a per-index `random.Random`. Every name carries an ASCII form for email addresses when its script
has a faithful romanization (Latin scripts by folding accents, Cyrillic by transliteration,
Japanese from Faker's kanji/romaji pairs); Chinese, Devanagari and Arabic names have none, and
their emails use an initial and a number instead.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from faker import Faker
from faker.providers.person.ru_RU import translit

POOL_SIZE = 120


@dataclass(frozen=True)
class Name:
    native: str
    ascii: str | None  # None when the script has no romanization here
    slug: str = field(init=False)  # lowercase a-z only, "" without a romanization

    def __post_init__(self) -> None:
        object.__setattr__(self, "slug", email_slug(self.ascii or ""))


@dataclass(frozen=True)
class LocalePool:
    locale: str
    country: str  # ISO 3166 alpha-2, for picking an office and a phone format
    female: tuple[Name, ...]
    male: tuple[Name, ...]
    last_female: tuple[Name, ...]
    last_male: tuple[Name, ...]


# (locale, country, weight): a US employer with an international staff.
LOCALES: tuple[tuple[str, str, int], ...] = (
    ("en_US", "US", 52),
    ("es_MX", "MX", 9),
    ("de_DE", "DE", 6),
    ("fr_FR", "FR", 4),
    ("pt_BR", "BR", 4),
    ("pl_PL", "PL", 3),
    ("ja_JP", "JP", 5),
    ("zh_CN", "CN", 5),
    ("ru_RU", "RU", 3),
    ("hi_IN", "IN", 5),
    ("ar_AA", "AE", 4),
)
_SPECIAL = str.maketrans({"ß": "ss", "ø": "o", "Ø": "O", "æ": "ae", "Æ": "AE", "ł": "l"})
_SPECIAL_MORE = str.maketrans({"Ł": "L", "đ": "d", "Đ": "D", "œ": "oe", "\u0131": "i", "ð": "d"})
_ASCII_NAME = re.compile(r"[A-Za-z][A-Za-z' -]*")


def fold_latin(text: str) -> str | None:
    """`José Müller` -> `Jose Muller`; None when something non-Latin is left."""
    text = text.translate(_SPECIAL).translate(_SPECIAL_MORE)
    decomposed = unicodedata.normalize("NFKD", text)
    folded = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return folded if _ASCII_NAME.fullmatch(folded) else None


def _cyrillic(text: str) -> str | None:
    try:
        return fold_latin(str(translit(text)))
    except KeyError:
        return None


def _romanize(locale: str, text: str) -> str | None:
    if locale == "ru_RU":
        return _cyrillic(text)
    if locale in {"zh_CN", "hi_IN", "ar_AA"}:
        return None
    return fold_latin(text)


def _unique(names: list[Name]) -> tuple[Name, ...]:
    return tuple(dict.fromkeys(names))


def _draw(fake: Any, method: str, locale: str) -> list[Name]:
    out: list[Name] = []
    for _ in range(POOL_SIZE):
        text = str(getattr(fake, method)())
        out.append(Name(text, _romanize(locale, text)))
    return out


def _japanese(fake: Any, method: str) -> list[Name]:
    out: list[Name] = []
    for _ in range(POOL_SIZE):
        native, _kana, romaji = getattr(fake, method)()
        out.append(Name(str(native), fold_latin(str(romaji))))
    return out


def _pool(seed: int, locale: str, country: str) -> LocalePool:
    fake = Faker(locale)
    fake.seed_instance(seed)
    if locale == "ja_JP":
        last = _unique(_japanese(fake, "last_name_pair"))
        return LocalePool(
            locale,
            country,
            _unique(_japanese(fake, "first_name_female_pair")),
            _unique(_japanese(fake, "first_name_male_pair")),
            last,
            last,
        )
    return LocalePool(
        locale,
        country,
        _unique(_draw(fake, "first_name_female", locale)),
        _unique(_draw(fake, "first_name_male", locale)),
        _unique(_draw(fake, "last_name_female", locale)),
        _unique(_draw(fake, "last_name_male", locale)),
    )


@lru_cache(maxsize=8)
def name_pools(seed: int) -> tuple[LocalePool, ...]:
    """One pool per locale in `LOCALES` order; deterministic for a seed."""
    return tuple(_pool(seed, locale, country) for locale, country, _ in LOCALES)


def email_slug(text: str) -> str:
    """Lowercase letters only: `O'Neil-Smith` -> `oneilsmith`."""
    return "".join(ch for ch in text.lower() if "a" <= ch <= "z")
