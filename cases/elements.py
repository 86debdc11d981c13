"""The elements crime triage asks about: their symbols, names, and whether they are heavy metals.

The lists J2023 Art. 1(三) and (四) name (three times, ten times the standard) are the mechanism's data;
this catalogue only says what each element is called, so that a measurement of "总铬" or "Cr6+" is known
to contain chromium. A pollutant that contains a heavy metal is a toxic substance (有毒物质: 法释〔2013〕15号
Art. 10(三), "含有铅、汞、镉、铬等重金属的物质"; reworded in 2016 and 2023, check the text).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Annotated

from pydantic import AfterValidator, WithJsonSchema


@dataclass(frozen=True)
class Element:
    symbol: str
    zh: str
    en: str
    heavy_metal: bool = True


ELEMENTS: dict[str, Element] = {
    e.symbol: e
    for e in [
        Element("Pb", "铅", "lead"),
        Element("Hg", "汞", "mercury"),
        Element("Cd", "镉", "cadmium"),
        Element("Cr", "铬", "chromium"),
        Element("As", "砷", "arsenic"),  # a metalloid, counted with the heavy metals in J2023 (三)
        Element("Tl", "铊", "thallium"),
        Element("Sb", "锑", "antimony"),
        Element("Ni", "镍", "nickel"),
        Element("Cu", "铜", "copper"),
        Element("Zn", "锌", "zinc"),
        Element("Ag", "银", "silver"),
        Element("V", "钒", "vanadium"),
        Element("Mn", "锰", "manganese"),
        Element("Co", "钴", "cobalt"),
    ]
}


def _known(symbol: str) -> str:
    if symbol not in ELEMENTS:
        raise ValueError(f"unknown element '{symbol}' (one of: {', '.join(ELEMENTS)})")
    return symbol


# An element, as a field type: its symbol, refused when unknown, listed in OpenAPI.
Symbol = Annotated[
    str, AfterValidator(_known), WithJsonSchema({"type": "string", "enum": list(ELEMENTS)})
]

# A symbol standing as its own token in a pollutant's name: "Cr6+", "总Cr", "Pb(总)"; not "Cu" in "Cumene".
_TOKENS = {symbol: re.compile(rf"(?<![A-Za-z]){re.escape(symbol)}(?![a-z])") for symbol in ELEMENTS}


def elements_in(pollutant: str, stated: str | None = None) -> list[Element]:
    """The catalogued elements a pollutant contains: the one stated, else those its name names (by
    Chinese character or symbol)."""
    if stated is not None:
        return [ELEMENTS[stated]]
    return [
        e for e in ELEMENTS.values() if e.zh in pollutant or _TOKENS[e.symbol].search(pollutant)
    ]
