"""Cross-entry checks of a protocol: sources exist, codes are known, windows are possible,
depths stay under ceilings, no two entries contradict each other, and the recovery section is
grounded and fits the check-in days."""

from collections.abc import Iterable, Iterator

from needlepoint.clinical import vocab
from needlepoint.clinical.errors import ProtocolError
from needlepoint.clinical.protocol import (
    CHECK_IN,
    MESSAGE_FIELDS,
    AgeRule,
    AllergyRule,
    ConditionRule,
    Grounded,
    MedicationRule,
    PregnancyRule,
    ProcedureRule,
    Protocol,
    Rule,
    SiteRule,
    Window,
    template_fields,
)

PROCEDURE_VARIANTS = {
    "chemical_peel": frozenset(vocab.PEEL_DEPTHS),
    "laser": frozenset(vocab.LASER_KINDS),
}


def check_protocol(p: Protocol, *, file: str) -> None:
    """Raise ProtocolError for the first cross-entry problem found in `p`; return None if sound."""
    for entry, problem in _problems(p):
        raise ProtocolError(problem, file=file, entry=entry)


def _problems(p: Protocol) -> Iterator[tuple[str, str]]:
    yield from _check_sources(p)
    yield from _check_rules(p)
    yield from _check_contradictions(p.rules)
    yield from _check_areas(p)
    yield from _check_goals(p)
    yield from _check_care(p)
    yield from _check_recovery(p)
    yield from _check_medication_names(p)


def _rule_entry(i: int, rule: Rule) -> str:
    return f"rules[{i}] (id: {rule.id})"


def _cited(p: Protocol) -> Iterator[tuple[str, Iterable[str]]]:
    for i, r in enumerate(p.rules):
        yield _rule_entry(i, r), r.sources
        if r.alternative is not None:
            yield _rule_entry(i, r) + ".alternative", r.alternative.sources
    for name, a in p.areas.items():
        yield f"areas.{name}", a.sources
    for name, g in p.goals.items():
        yield f"goals.{name}.sessions", g.sessions.sources
        yield f"goals.{name}.interval_sources", g.interval_sources
        yield f"goals.{name}.expectations", g.expectations.sources
        if g.depths is not None:
            yield f"goals.{name}.depths", g.depths.sources
        if g.interval_alternative is not None:
            yield f"goals.{name}.interval_alternative", g.interval_alternative.sources
    for name, adj in p.adjuncts.items():
        yield f"adjuncts.{name}", adj.sources
    for i, c in enumerate(p.care):
        yield f"care[{i}] (code: {c.code})", c.sources
    for entry, value in _recovery_values(p):
        yield entry, value.sources


def _recovery_values(p: Protocol) -> Iterator[tuple[str, Grounded]]:
    r = p.recovery
    yield "recovery.scores", r.scores
    for i, sign in enumerate(r.warning_signs):
        yield f"recovery.warning_signs[{i}] (code: {sign.code})", sign
    for i, limit in enumerate(r.not_as_expected):
        yield f"recovery.not_as_expected[{i}] (day: {limit.day})", limit
    yield "recovery.worse_than_before", r.worse_than_before
    yield "recovery.due_for", r.due_for
    yield "recovery.open_for", r.open_for


def _check_sources(p: Protocol) -> Iterator[tuple[str, str]]:
    for entry, ids in _cited(p):
        for sid in ids:
            if sid not in p.sources:
                yield entry, f"cites source {sid!r}, which is not in the sources list"


def _check_window(w: Window | None) -> str | None:
    if w is None:
        return None
    if (w.days is None) == (w.months is None):
        return "a window needs exactly one of 'days' or 'months'"
    if (w.days or 0) + (w.months or 0) == 0:
        return "a window of zero length defers nothing: impossible window"
    return None


def _check_rules(p: Protocol) -> Iterator[tuple[str, str]]:
    seen: set[str] = set()
    known = p.vocabulary_for_intake()
    for i, r in enumerate(p.rules):
        entry = _rule_entry(i, r)
        if r.id in seen:
            yield entry, f"rule id {r.id!r} is used twice"
        seen.add(r.id)
        yield from ((entry, m) for m in _message_problems(r))
        yield from ((entry, m) for m in _kind_problems(r, known.conditions, known.procedures, known.areas))


def _message_problems(r: Rule) -> Iterator[str]:
    for label, text in (("message", r.message), ("message_undated", r.message_undated)):
        if text is None:
            continue
        try:
            names = template_fields(text)
        except ValueError as exc:
            yield f"{label}: {exc}"
            continue
        unknown = names - MESSAGE_FIELDS
        if unknown:
            yield f"{label}: unknown placeholder(s) {sorted(unknown)}; use {sorted(MESSAGE_FIELDS)}"
        if "until" in names and (label == "message_undated" or not _gives_date(r)):
            yield f"{label}: this rule gives no date, so it cannot use {{until}}"


def _gives_date(r: Rule) -> bool:
    if r.decision != "defer":
        return False
    if isinstance(r, ProcedureRule | AgeRule):
        return True
    return isinstance(r, ConditionRule | MedicationRule) and r.window is not None


def _kind_problems(
    r: Rule, conditions: frozenset[str], procedures: frozenset[str], areas: frozenset[str]
) -> Iterator[str]:
    if isinstance(r, ConditionRule):
        yield from _unknown(r.conditions, conditions, "condition")
        yield from _window_problems(r.window, r.decision)
        active = {"active", "uncontrolled"} & set(r.statuses)
        if r.window and r.decision == "defer" and active and not r.message_undated:
            yield "an active condition may outlast the window: give 'message_undated'"
    elif isinstance(r, ProcedureRule):
        yield from _unknown(r.procedures, procedures, "procedure")
        yield from _procedure_window_problems(r)
    elif isinstance(r, MedicationRule):
        yield from _medication_problems(r)
    elif isinstance(r, SiteRule):
        yield from _unknown(r.areas, areas, "area")
        if r.decision != "contraindicated":
            yield "a site rule removes areas that are never treated: its decision is 'contraindicated'"
    elif isinstance(r, AllergyRule) and not r.allergies and not r.unrecognised:
        yield "an allergy rule needs 'allergies' or 'unrecognised: true'"


def _unknown(codes: Iterable[str], known: frozenset[str], what: str) -> Iterator[str]:
    for c in codes:
        if c not in known:
            yield f"unknown {what} code {c!r}"


def _window_problems(w: Window | None, decision: str) -> Iterator[str]:
    problem = _check_window(w)
    if problem:
        yield problem
    if w is not None and decision != "defer":
        yield f"a window only makes sense for a 'defer' decision, not {decision!r}"


def _procedure_window_problems(r: ProcedureRule) -> Iterator[str]:
    if r.decision != "defer":
        yield f"a procedure rule defers; decision {r.decision!r} is not possible"
    if "default" not in r.windows:
        yield "windows need a 'default' for a procedure reported without depth or kind"
    allowed = {"default"}.union(*(PROCEDURE_VARIANTS.get(c, frozenset()) for c in r.procedures))
    for key, w in r.windows.items():
        if key not in allowed:
            yield f"windows.{key}: not a depth or kind of {', '.join(r.procedures)}"
        problem = _check_window(w)
        if problem:
            yield f"windows.{key}: {problem}"


def _medication_problems(r: MedicationRule) -> Iterator[str]:
    if r.status == "stopped":
        if r.window is None:
            yield "a rule on stopped medication needs a 'window' after the last dose"
        yield from _window_problems(r.window, r.decision)
    elif r.window is not None:
        yield "a rule on current medication takes no window"


def _triggers(r: Rule) -> Iterator[tuple[str, ...]]:
    if isinstance(r, ConditionRule):
        yield from (("condition", c, s) for c in r.conditions for s in r.statuses)
    elif isinstance(r, ProcedureRule):
        yield from (("procedure", c) for c in r.procedures)
    elif isinstance(r, MedicationRule):
        yield from (("medication", r.status, a) for a in r.atc)
    elif isinstance(r, PregnancyRule):
        yield from (("pregnancy", s) for s in r.statuses)
    elif isinstance(r, AllergyRule):
        yield from (("allergy", a) for a in r.allergies)
    elif isinstance(r, SiteRule):
        yield from (("site", a) for a in r.areas)
    elif isinstance(r, AgeRule):
        yield ("age", str(r.below_years))
    else:
        yield (r.kind,)


def _overlaps(a: tuple[str, ...], b: tuple[str, ...]) -> bool:
    if a[0] == "medication" == b[0]:
        return a[1] == b[1] and (a[2].startswith(b[2]) or b[2].startswith(a[2]))
    return a == b


def _check_contradictions(rules: tuple[Rule, ...]) -> Iterator[tuple[str, str]]:
    keyed = [(i, r, t) for i, r in enumerate(rules) for t in _triggers(r)]
    for n, (i, r, t) in enumerate(keyed):
        for j, other, u in keyed[n + 1 :]:
            if i == j or not _overlaps(t, u):
                continue
            if r.decision != other.decision:
                yield (
                    _rule_entry(j, other),
                    (f"contradicts rule {r.id!r} on {' '.join(u)}: {other.decision!r} versus {r.decision!r}"),
                )
            else:
                yield _rule_entry(j, other), f"repeats rule {r.id!r} on {' '.join(u)}"


def _excluded_sites(p: Protocol) -> set[str]:
    return {a for r in p.rules if isinstance(r, SiteRule) for a in r.areas}


def _check_areas(p: Protocol) -> Iterator[tuple[str, str]]:
    excluded = _excluded_sites(p)
    known = p.vocabulary_for_intake().areas
    for name, a in p.areas.items():
        entry = f"areas.{name}"
        if name not in known:
            yield entry, f"unknown area code {name!r}"
        if name in excluded:
            yield entry, "gives a depth for an area a site rule excludes"
        if a.depth_mm.min > a.depth_mm.max:
            yield entry, f"depth min {a.depth_mm.min} is above max {a.depth_mm.max}"
        if a.depth_mm.max > a.ceiling_mm:
            yield entry, f"depth max {a.depth_mm.max} mm is above the ceiling {a.ceiling_mm} mm"
    for name in sorted(known - excluded - set(p.areas)):
        yield f"areas.{name}", "missing: every area needs a depth and ceiling or a site exclusion"


def _check_goals(p: Protocol) -> Iterator[tuple[str, str]]:
    known = p.vocabulary_for_intake()
    excluded = _excluded_sites(p)
    for name in sorted(known.goals - set(p.goals)):
        yield f"goals.{name}", "missing: every goal needs sessions, interval and expectations"
    for name, g in p.goals.items():
        entry = f"goals.{name}"
        if name not in known.goals:
            yield entry, f"unknown goal code {name!r}"
        if g.interval_days.min > g.interval_days.max:
            yield entry + ".interval_days", "min is above max: impossible window"
        for adj in g.adjuncts:
            if adj not in p.adjuncts:
                yield entry + ".adjuncts", f"unknown adjunct {adj!r}"
        for area, d in g.depths.areas.items() if g.depths else ():
            yield from _goal_depth_problems(p, f"{entry}.depths.areas.{area}", area, d, excluded)
    for name, adjunct in p.adjuncts.items():
        if adjunct.timing == "during" and not adjunct.for_use_during_needling:
            yield f"adjuncts.{name}", "only products meant for use during needling may be used then"


def _goal_depth_problems(
    p: Protocol, entry: str, area: str, d: object, excluded: set[str]
) -> Iterator[tuple[str, str]]:
    from needlepoint.clinical.protocol import DepthRange

    assert isinstance(d, DepthRange)
    if area in excluded:
        yield entry, "gives a depth for an area a site rule excludes"
    elif area not in p.areas:
        yield entry, f"unknown area {area!r}"
    elif d.max > p.areas[area].ceiling_mm:
        yield entry, f"depth max {d.max} mm is above the area's ceiling {p.areas[area].ceiling_mm} mm"
    if d.min > d.max:
        yield entry, f"depth min {d.min} is above max {d.max}"


def _check_care(p: Protocol) -> Iterator[tuple[str, str]]:
    findings = {r.finding for r in p.rules}
    for i, c in enumerate(p.care):
        if c.when != "always" and c.when not in findings:
            yield f"care[{i}] (code: {c.code})", f"'when: {c.when}' names no finding of any rule"


def _check_recovery(p: Protocol) -> Iterator[tuple[str, str]]:
    for entry, value in _recovery_values(p):
        if not value.sources and not value.clinic_choice:
            yield entry, "gives no grounds: cite its sources or mark it 'clinic_choice: true'"
        if value.sources and value.evidence is None and not value.clinic_choice:
            yield entry, "cites sources without their 'evidence' level"
    yield from _check_check_in_days(p)
    r = p.recovery
    codes = [sign.code for sign in r.warning_signs]
    for i, code in enumerate(codes):
        if code in codes[:i]:
            yield f"recovery.warning_signs[{i}] (code: {code})", f"warning sign {code!r} is listed twice"
    days: set[int] = set()
    for i, limit in enumerate(r.not_as_expected):
        entry = f"recovery.not_as_expected[{i}] (day: {limit.day})"
        if limit.day not in p.check_in_days:
            yield entry, f"day {limit.day} is not a check-in day {list(p.check_in_days)}"
        if limit.day in days:
            yield entry, f"day {limit.day} has a threshold already"
        days.add(limit.day)
        if limit.from_score > r.scores.max:
            yield entry, f"from_score {limit.from_score} is above the highest score {r.scores.max}"


def _check_check_in_days(p: Protocol) -> Iterator[tuple[str, str]]:
    checks = [(i, c) for i, c in enumerate(p.care) if c.code == CHECK_IN]
    if not checks:
        yield "care", f"no check-in: give care items with code {CHECK_IN!r} on the days patients check in"
    seen: set[int] = set()
    for i, c in checks:
        entry = f"care[{i}] (code: {c.code})"
        if c.offset_days < 1:
            yield entry, f"a check-in is on day 1 or later, not day {c.offset_days}"
        elif c.offset_days > p.recovery.open_for.days:
            yield (
                entry,
                f"day {c.offset_days} is after check-ins close ({p.recovery.open_for.days} days after)",
            )
        if c.offset_days in seen:
            yield entry, f"a second check-in on day {c.offset_days}"
        seen.add(c.offset_days)


def _check_medication_names(p: Protocol) -> Iterator[tuple[str, str]]:
    for name in p.medications:
        if name != name.strip().lower() or not name:
            yield f"medications.{name}", "names must be lower case without surrounding spaces"


def missing_findings(p: Protocol) -> list[str]:
    """Return the contract's finding codes that no rule of `p` can produce (for the check report)."""
    produced = {r.finding for r in p.rules}
    return [code for code in vocab.REQUIRED_FINDINGS if code not in produced]
