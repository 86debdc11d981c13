"""The dashboard's words in Chinese (the default) and English.

The page's own words are gettext messages, English in the source and Chinese in the catalogue
(``locale/zh_CN/LC_MESSAGES/messages.po``; ``make messages`` extracts them again, and a test fails for
one without a translation). What the domain names (stages, steps, documents, roles, clocks) carries
its own two names and is shown from them."""

from __future__ import annotations

import functools
import gettext
import io
from collections.abc import Callable, Iterable, Mapping
from enum import StrEnum
from pathlib import Path
from typing import Any

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from markupsafe import Markup, escape

from cases.agencies import AgencyRegistry
from cases.checklists import CATALOGUE
from cases.phrases import word
from cases.profile import Period
from cases.profiles import default_profiles
from cases.steps import STEPS
from cases.triage import CRITERION_WORDS
from cases.vocabulary import (
    ASSISTANCE_LABELS,
    DOCUMENT_LABELS,
    EVENT_LABELS,
    PARTY_LABELS,
    RELATION_LABELS,
    ROLE_LABELS,
    STAGE_LABELS,
    UNIT_LABELS,
    AssistanceKind,
    DocumentKind,
    Event,
    LinkRelation,
    Party,
    Role,
    Stage,
)

LANGUAGES = ("zh", "en")
LOCALES = Path(__file__).parent / "locale"


def N_(text: str) -> str:
    """Marks a string for the catalogue; translated where it is shown."""
    return text


@functools.cache
def translations(lang: str) -> gettext.NullTranslations:
    """The catalogue of ``lang`` (``locale/zh_CN/LC_MESSAGES/messages.po``), compiled in memory
    at first use: no compiled file is kept. English is the source language."""
    if lang != "zh":
        return gettext.NullTranslations()
    with (LOCALES / "zh_CN" / "LC_MESSAGES" / "messages.po").open("rb") as source:
        catalog = read_po(source, locale="zh_CN")
    compiled = io.BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return gettext.GNUTranslations(compiled)


def gettext_for(lang: str) -> Callable[[str], str]:
    return translations(lang).gettext


# The fields of the steps' forms, by name (every field of every step has one: a test says so).
FIELD_LABELS: dict[str, str] = {
    "agency": N_("Agency"),
    "assistance": N_("Assistance"),
    "case_id": N_("Case"),
    "clock": N_("Clock"),
    "classification": N_("Classification"),
    "conclusion": N_("Conclusion"),
    "days": N_("Days"),
    "decided_on": N_("Decided on"),
    "document": N_("Document"),
    "explanation": N_("Explanation"),
    "extension": N_("Extension"),
    "facts": N_("Facts"),
    "item": N_("Item"),
    "items": N_("Items"),
    "judgment": N_("Judgment"),
    "measurements": N_("Measurements"),
    "note": N_("Note"),
    "officers": N_("Officers"),
    "order_filing": N_("Order filing"),
    "outcome": N_("Outcome"),
    "reasons": N_("Reasons"),
    "recommend_penalty": N_("Recommend a penalty"),
    "reference": N_("Reference"),
    "relation": N_("Relation"),
    "request_id": N_("Request"),
    "sha256": N_("Fingerprint (SHA-256)"),
    "size": N_("Size"),
    "subject": N_("Subject"),
    "title": N_("Title"),
    "upheld": N_("Upheld"),
}
TRACK_LABELS: dict[str, str] = {
    "criminal": N_("criminal track"),
    "detention": N_("detention track (P2014)"),
}
CLASSIFICATION_LABELS: dict[str, str] = {
    "administrative": N_("administrative violation"),
    "public_security": N_("public security violation"),
    "crime": N_("suspected crime"),
}
SYSTEM_STEPS: dict[str, str] = {
    "open": N_("Case opened"),
    "referral_delivered": N_("Police system receipt"),
    "delivery_failed": N_("Delivery failed"),
    "document_received": N_("Notice received"),
    "document_failed": N_("Notice not delivered"),
    "request_failed": N_("Request refused"),
    "assistance_received": N_("Request for assistance received"),
    "paper_made": N_("Paper made"),
    "paper_not_made": N_("Paper not made"),
    "reminder": N_("Reminder"),
    "breach": N_("Deadline missed"),
    "escalation": N_("Escalation"),
    "calendar_published": N_("Holiday calendar published"),
    "registry_published": N_("Agency registry published"),
}


def field_label(name: str, lang: str) -> str:
    return gettext_for(lang)(FIELD_LABELS.get(name, name))


def choice_label(field: str, value: str, lang: str, mechanism: str = "") -> str:
    """A choice of a form's field, in words where the product has them (a classification, a clock,
    yes or no); otherwise the value the API takes."""
    if field == "classification":
        return classification_label(value, lang)
    if field == "clock":
        return clock_name(mechanism, value, lang)
    if field == "assistance":
        return _label(ASSISTANCE_LABELS, AssistanceKind, value, lang)
    if field == "relation":
        return relation_label(value, lang)
    if value in ("true", "false"):
        return gettext_for(lang)(N_("yes") if value == "true" else N_("no"))
    return value


def mechanism_title(name: str, lang: str) -> str:
    profile = default_profiles().get(name)
    if profile is None:
        return name
    return profile.title_en if lang == "en" else profile.title_zh


def clock_name(mechanism: str, key: str, lang: str) -> str:
    """A clock of a case's mechanism by its title (a clock per request is keyed name:request)."""
    profile = default_profiles().get(mechanism)
    spec = profile.clocks.get(key.split(":", 1)[0]) if profile is not None else None
    if spec is None:
        return key
    return spec.title_en if lang == "en" else spec.title_zh


def clock_source(mechanism: str, key: str, source: str, lang: str) -> str:
    """A case's clock's source in ``lang``: in Chinese, the ``source_zh`` of the mechanism's clock of
    that name while the mechanism still cites what the case's clock does (a running case keeps the
    profile it started with); otherwise the source the case carries."""
    if lang == "en":
        return source
    profile = default_profiles().get(mechanism)
    spec = profile.clocks.get(key.split(":", 1)[0]) if profile is not None else None
    if spec is None or spec.source != source:
        return source
    return spec.source_zh


def track_label(track: str, lang: str) -> str:
    return gettext_for(lang)(TRACK_LABELS.get(track, track))


def classification_label(value: str | None, lang: str) -> str:
    return (
        gettext_for(lang)(CLASSIFICATION_LABELS[value]) if value in CLASSIFICATION_LABELS else "—"
    )


def _label(labels: Mapping[Any, tuple[str, str]], kind: type[StrEnum], key: str, lang: str) -> str:
    try:
        return word(labels, kind(key)).said_in(lang)
    except ValueError:
        return key


def stage_label(stage: str, lang: str) -> str:
    return _label(STAGE_LABELS, Stage, stage, lang)


def role_label(role: str | None, lang: str) -> str:
    return _label(ROLE_LABELS, Role, role, lang) if role else ""


def party_label(party: str, lang: str) -> str:
    return _label(PARTY_LABELS, Party, party, lang)


def relation_label(relation: str, lang: str) -> str:
    """What a linked case of another region is to this one (D3 §3.2)."""
    return _label(RELATION_LABELS, LinkRelation, relation, lang)


def listed(names: Iterable[str], lang: str) -> str:
    """Names in a row: 、 between them in Chinese, a comma in English."""
    return (", " if lang == "en" else "、").join(names)


def events_label(events: Iterable[str], lang: str) -> str:
    return listed((_label(EVENT_LABELS, Event, e, lang) for e in events), lang)


def stages_label(stages: Iterable[str], lang: str) -> str:
    return listed((stage_label(s, lang) for s in stages), lang)


def period_label(period: Period, lang: str) -> str:
    """A clock's period with its unit in words: "3天", "5个工作日"; "3 days", "1 working day" (every
    unit's English is a plural in -s)."""
    zh, en = UNIT_LABELS[period.unit]
    if lang == "en":
        return f"{period.length} {en.removesuffix('s') if period.length == 1 else en}"
    return f"{period.length}{zh}"


def agency_name(registry: AgencyRegistry, code: str | None, lang: str) -> Markup:
    """An agency by its name from the registry, its code on hover; a code the registry does not
    hold, as it is."""
    if not code:
        return Markup("—")
    if code not in registry:
        return escape(code)
    name = registry.named(code).said_in(lang)
    return Markup('<span class="agency" title="{}">{}</span>').format(code, name)


def whose_move(registry: AgencyRegistry, agency: str | None, role: str | None, lang: str) -> Markup:
    """The agency (and role, when a clock names it) the case waits for."""
    if not agency:
        return Markup("—")
    named = agency_name(registry, agency, lang)
    shown = role_label(role, lang)
    return Markup("{} · {}").format(named, shown) if shown else named


def document_label(kind: str, lang: str) -> str:
    return _label(DOCUMENT_LABELS, DocumentKind, kind, lang)


def action_label(action: str, lang: str) -> str:
    step = STEPS.get(action)
    if step is not None:
        return step.label_en if lang == "en" else step.label_zh
    return gettext_for(lang)(SYSTEM_STEPS.get(action, action))


def evidence_kind_label(kind: str, lang: str) -> str:
    """An evidence item's kind by its name in the checklists' catalogue (its key where it has none)."""
    found = CATALOGUE.get(kind)
    if found is None:
        return kind
    return found.label_en if lang == "en" else found.label_zh


def criterion_label(code: str, lang: str) -> str:
    """A key-linkage criterion of D1-rules §二 by name (its code where it has none)."""
    said = CRITERION_WORDS.get(code)
    return code if said is None else said.said_in(lang)


def words(lang: str, registry: AgencyRegistry) -> dict[str, Any]:
    """What a page's template names things with, in ``lang``."""
    translate = gettext_for(lang)
    return {
        "_": translate,
        "gettext": translate,
        "field_label": lambda name: field_label(name, lang),
        "choice_label": lambda name, value, mechanism="": choice_label(
            name, value, lang, mechanism
        ),
        "track_label": lambda track: track_label(track, lang),
        "criterion_label": lambda code: criterion_label(code, lang),
        "evidence_kind": lambda kind: evidence_kind_label(kind, lang),
        "classification_label": lambda value: classification_label(value, lang),
        "mechanism_title": lambda name: mechanism_title(name, lang),
        "clock_name": lambda mechanism, key: clock_name(mechanism, key, lang),
        "stage_label": lambda stage: stage_label(stage, lang),
        "action_label": lambda action: action_label(action, lang),
        "document_label": lambda kind: document_label(kind, lang),
        "agency": lambda code: agency_name(registry, code, lang),
        "role_label": lambda role: role_label(role, lang),
        "party_label": lambda party: party_label(party, lang),
        "relation_label": lambda relation: relation_label(relation, lang),
        "region": lambda code: registry.region_named(code).said_in(lang),
        "events_label": lambda events: events_label(events, lang),
        "stages_label": lambda stages: stages_label(stages, lang),
        "period_label": lambda period: period_label(period, lang),
        "clock_source": lambda mechanism, key, source: clock_source(mechanism, key, source, lang),
        "whose_move": lambda agency, role: whose_move(registry, agency, role, lang),
    }
