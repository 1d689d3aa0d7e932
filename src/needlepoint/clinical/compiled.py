"""Rules compiled for screening: each rule of a protocol turned once into a ready-made function
`facts -> list[Finding]` with its parameters bound (sets to test against, window spans, the
finding's fixed fields, the message cut into text and the placeholders that vary).

A compiled rule finds exactly what `rules.evaluate` finds for the same rule and facts (the
property tests compare the two); it only does less work per intake: no dispatch by kind, no
attribute look-ups on the rule, no placeholder that is the same for every intake worked out again.
"""

import datetime as dt
from collections.abc import Callable
from typing import Any

from needlepoint.clinical.protocol import (
    AgeRule,
    AllergyRule,
    ConditionRule,
    MedicationRule,
    PhototypeRule,
    PregnancyRule,
    ProcedureRule,
    Rule,
    SiteRule,
    UnknownMedicationRule,
    Window,
    add_months,
)
from needlepoint.clinical.rules import ROMAN, Facts, Finding, _relabel, human_list, message_parts
from needlepoint.words import human_date

Fire = Callable[[Facts], list[Finding]]
# (facts, until, areas, event, name) -> the finding
Make = Callable[[Facts, dt.date | None, tuple[str, ...] | None, dt.date | None, str], Finding]
# the placeholders that vary from intake to intake, in the order of their positional fields in
# a compiled message ("{0}" the event's date, "{1}" the end of the wait, ... "{4}" the name)
VARYING = ("date", "until", "areas", "age", "name")
_FIELDS = {key: "{" + str(n) + "}" for n, key in enumerate(VARYING)}
Template = tuple[str, bool]  # (the text, whether it has fields to fill with `str.format`)


def _template(rule: Rule, message: str) -> Template:
    """Return the message with the placeholders fixed by the rule ("years", the finding code)
    already joined in: as it is read when nothing else in it varies, else as a `str.format`
    text whose positional fields are the varying placeholders (see VARYING)."""
    parts = message_parts(message)
    if not parts:
        return message, False
    plain, text = "", ""
    for piece, key in parts:
        fixed = ""
        if key == "years":
            fixed = str(rule.below_years) if isinstance(rule, AgeRule) else ""
        elif key and key not in _FIELDS:
            fixed = rule.finding
        plain += piece + fixed
        text += piece.replace("{", "{{").replace("}", "}}") + _FIELDS.get(key, fixed)
    varies = any(key in _FIELDS for _, key in parts)
    return (text, True) if varies else (plain, False)


_DATES: dict[Any, str] = {}
_AREA_LISTS: dict[Any, str] = {}


def _remembered(memo: dict[Any, str], key: Any, words: Callable[[Any], str]) -> str:
    """Return `words(key)` and remember it (a bounded memo: dates and lists of areas repeat)."""
    if len(memo) >= 4096:
        memo.clear()
    said = memo[key] = words(key)
    return said


def finding_maker(rule: Rule) -> Make:
    """Return the function that builds one of the rule's findings (the message chosen as
    `rules._finding` chooses it: the undated one when the finding has no date and there is one).
    The placeholders are filled inline, each worked out only when a message of the rule has
    it; the words for a date or a list of areas are remembered from the intakes before."""
    dated = _template(rule, rule.message)
    undated = _template(rule, rule.message_undated) if rule.message_undated else dated
    used = {key for text, varies in (dated, undated) if varies for key in VARYING if _FIELDS[key] in text}
    wants_date, wants_until, wants_areas, wants_age = (key in used for key in VARYING[:4])
    code, decision, rid, sources = rule.finding, rule.decision, rule.id, rule.sources
    new = tuple.__new__
    dates, lists = _DATES, _AREA_LISTS

    def make(
        facts: Facts, until: dt.date | None, areas: tuple[str, ...] | None, event: dt.date | None, name: str
    ) -> Finding:
        message, varies = dated if until is not None else undated
        if varies:
            on = until_day = listed = age = ""
            if wants_date:
                on = (
                    (dates.get(event) or _remembered(dates, event, human_date))
                    if event
                    else "a date not given"
                )
            if wants_until and until:
                until_day = dates.get(until) or _remembered(dates, until, human_date)
            if wants_areas:
                listed = (
                    (lists.get(areas) or _remembered(lists, areas, human_list))
                    if areas
                    else "treatment areas"
                )
            if wants_age:
                age = str(facts.age)
            message = message.format(on, until_day, listed, age, name)
        # the fields as declared, built by tuple.__new__ (see rules._finding)
        return new(Finding, (code, decision, until, areas, message, rid, sources, False))

    return make


def _span(window: Window | None) -> Callable[[dt.date], dt.date] | None:
    """Return `window.after` with a span of days built once, or None without a window."""
    return None if window is None else _after(window)


def _after(window: Window) -> Callable[[dt.date], dt.date]:
    if window.days is None:  # calendar months: each end worked out once per day (a bounded memo)
        ends: dict[dt.date, dt.date] = {}
        after = window.after

        def months_after(day: dt.date) -> dt.date:
            end = ends.get(day)
            if end is None:
                if len(ends) >= 4096:
                    ends.clear()
                end = ends[day] = after(day)
            return end

        return months_after
    span = dt.timedelta(days=window.days)
    return lambda day: day + span


def _condition(rule: ConditionRule) -> Fire:
    codes, statuses = frozenset(rule.conditions), frozenset(rule.statuses)
    patient = rule.scope == "patient"
    relabel = rule.unlocated_decision if not patient else None
    end_of = _span(rule.window)
    make = finding_maker(rule)

    def fire(facts: Facts) -> list[Finding]:
        out = []
        today = facts.today
        for c in facts.intake.conditions:
            if c.code not in codes or c.status not in statuses:
                continue
            until = None
            if end_of is not None:
                until = end_of(c.date or today)
                if until <= today:
                    if c.status not in ("active", "uncontrolled"):
                        continue
                    until = None
            where = c.areas
            areas = None if patient or not where else tuple([a for a in facts.areas if a in where])
            if areas == ():
                continue
            f = make(facts, until, areas, c.date, c.code.replace("_", " "))
            out.append(_relabel(f, relabel) if relabel and not where else f)
        return out

    return fire


def _procedure(rule: ProcedureRule) -> Fire:
    codes = frozenset(rule.procedures)
    ends = {variant: _after(w) for variant, w in rule.windows.items()}
    default = ends.get("default")  # the loader makes sure there is one
    patient = rule.scope == "patient"
    make = finding_maker(rule)
    labels: dict[tuple[str | None, str], str] = {}  # "medium chemical peel", by variant and code

    def fire(facts: Facts) -> list[Finding]:
        out = []
        for p in facts.intake.procedures:
            if p.code not in codes:
                continue
            variant = p.depth or p.kind
            end_of = ends.get(variant, default) if variant else default
            if end_of is None:
                raise KeyError("default")  # as rules.procedure does
            end = end_of(p.date)
            if end <= facts.today:
                continue
            where = p.areas
            areas = None if patient or not where else tuple([a for a in facts.areas if a in where])
            if areas == ():
                continue
            label = labels.get((variant, p.code)) or _label(labels, variant, p.code)
            out.append(make(facts, end, areas, p.date, label))
        return out

    return fire


def _label(labels: dict[tuple[str | None, str], str], variant: str | None, code: str) -> str:
    """Return a procedure as words, its variant first, and remember it (codes are a closed set)."""
    said = labels[variant, code] = " ".join(x.replace("_", " ") for x in (variant or "", code) if x)
    return said


def _medication(rule: MedicationRule) -> Fire:
    status, prefixes, end_of = rule.status, rule.atc, _span(rule.window)
    make = finding_maker(rule)

    def fire(facts: Facts) -> list[Finding]:
        out = []
        for m in facts.medications:
            if m.atc is None or m.status != status or not m.atc.startswith(prefixes):
                continue
            until = None
            if end_of is not None:
                until = end_of(m.last_taken or facts.today)
                if until <= facts.today:
                    continue
            out.append(make(facts, until, None, m.last_taken, m.name))
        return out

    return fire


def _pregnancy(rule: PregnancyRule) -> Fire:
    statuses, make = frozenset(rule.statuses), finding_maker(rule)

    def fire(facts: Facts) -> list[Finding]:
        if facts.intake.pregnancy not in statuses:
            return []
        return [make(facts, None, None, None, "")]

    return fire


def _age(rule: AgeRule) -> Fire:
    below, defer, make = rule.below_years, rule.decision == "defer", finding_maker(rule)

    def fire(facts: Facts) -> list[Finding]:
        if facts.age >= below:
            return []
        until = add_months(facts.intake.patient.birth_date, 12 * below) if defer else None
        return [make(facts, until, None, None, "")]

    return fire


def _allergy(rule: AllergyRule) -> Fire:
    named, unrecognised, make = frozenset(rule.allergies), rule.unrecognised, finding_maker(rule)

    def fire(facts: Facts) -> list[Finding]:
        known = facts.known_allergies
        return [
            make(facts, None, None, None, a.replace("_", " "))
            for a in facts.allergies
            if a in named or (unrecognised and a not in known)
        ]

    return fire


def _site(rule: SiteRule) -> Fire:
    areas, make = frozenset(rule.areas), finding_maker(rule)

    def fire(facts: Facts) -> list[Finding]:
        touched = tuple([a for a in facts.areas if a in areas])
        return [make(facts, None, touched, None, "")] if touched else []

    return fire


def _phototype(rule: PhototypeRule) -> Fire:
    minimum, when_missing, make = rule.minimum, rule.when_missing, finding_maker(rule)

    def fire(facts: Facts) -> list[Finding]:
        skin = facts.intake.skin
        value = skin.fitzpatrick if skin else None
        if value is None:
            return [make(facts, None, None, None, "unknown")] if when_missing else []
        if minimum is not None and value >= minimum:
            return [make(facts, None, None, None, ROMAN[value])]
        return []

    return fire


def _unknown_medication(rule: UnknownMedicationRule) -> Fire:
    make = finding_maker(rule)

    def fire(facts: Facts) -> list[Finding]:
        return [make(facts, None, None, None, m.name) for m in facts.medications if m.atc is None]

    return fire


COMPILERS: dict[type[Any], Callable[[Any], Fire]] = {
    ConditionRule: _condition,
    ProcedureRule: _procedure,
    MedicationRule: _medication,
    PregnancyRule: _pregnancy,
    AgeRule: _age,
    AllergyRule: _allergy,
    SiteRule: _site,
    PhototypeRule: _phototype,
    UnknownMedicationRule: _unknown_medication,
}


def compile_rule(rule: Rule) -> Fire:
    """Return the rule as a function of the facts, its parameters bound once."""
    return COMPILERS[type(rule)](rule)
