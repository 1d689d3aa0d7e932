"""Loading protocols: the default protocol is sound, and every way of breaking one is refused with
a ProtocolError naming the file, the entry and the problem."""

import copy
import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from intake_builder import intake as _intake

from needlepoint.clinical import vocab
from needlepoint.clinical.errors import ProtocolError
from needlepoint.clinical.intake import intake_from_mapping
from needlepoint.clinical.protocol import (
    DEFAULT_PROTOCOL,
    Protocol,
    load_protocol,
    protocol_from_data,
)
from needlepoint.clinical.protocol_checks import check_protocol, missing_findings
from needlepoint.clinical.screening import Screener

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_YAML = ROOT / "protocols" / "default.yaml"


def _default_data() -> dict[str, Any]:
    data = yaml.safe_load(DEFAULT_YAML.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


_DATA = _default_data()


def _fresh() -> dict[str, Any]:
    return copy.deepcopy(_DATA)


def _index(data: dict[str, Any], rule_id: str) -> int:
    return next(i for i, r in enumerate(data["rules"]) if r["id"] == rule_id)


def _rule(data: dict[str, Any], rule_id: str) -> dict[str, Any]:
    rule = data["rules"][_index(data, rule_id)]
    assert isinstance(rule, dict)
    return rule


def _entry(rule_id: str) -> str:
    return f"rules[{_index(_DATA, rule_id)}] (id: {rule_id})"


def _care_entry(code: str) -> str:
    i = next(i for i, c in enumerate(_DATA["care"]) if c["code"] == code)
    return f"care[{i}] (code: {code})"


def _refused(data: Any) -> ProtocolError:
    with pytest.raises(ProtocolError) as info:
        protocol_from_data(data, file="x.yaml")
    return info.value


# ---- the default protocol ------------------------------------------------------------------


def test_it_loads_the_default_protocol_with_its_id_and_version() -> None:
    p = load_protocol()
    assert isinstance(p, Protocol)
    assert p.ref == {"id": "default", "version": "2026.11.1"}
    assert Path(DEFAULT_PROTOCOL) == DEFAULT_YAML
    assert len(p.rules) == len(_DATA["rules"])


def test_it_passes_the_protocol_check_on_the_default_protocol() -> None:
    p = load_protocol(DEFAULT_YAML)
    check_protocol(p, file=str(DEFAULT_YAML))  # raises on any problem
    assert missing_findings(p) == []


def test_it_covers_every_contract_finding_area_and_goal_in_the_default_protocol() -> None:
    p = load_protocol()
    findings = {r.finding for r in p.rules}
    assert set(vocab.REQUIRED_FINDINGS) <= findings
    assert set(vocab.GOALS) <= set(p.goals)
    excluded = {"eyelids"}
    assert set(vocab.AREAS) - excluded <= set(p.areas)
    assert "eyelids" not in p.areas


def test_it_cites_only_listed_sources_in_the_default_protocol() -> None:
    p = load_protocol()
    for rule in p.rules:
        assert rule.sources, rule.id
        assert set(rule.sources) <= set(p.sources), rule.id
    for name, area in p.areas.items():
        assert set(area.sources) <= set(p.sources), name
        assert area.depth_mm.max <= area.ceiling_mm, name
        assert area.depth_mm.min <= area.depth_mm.max, name


def test_it_loads_the_same_protocol_from_data_as_from_the_file() -> None:
    from_data = protocol_from_data(_fresh(), file="x.yaml")
    from_file = load_protocol()
    assert from_data == from_file


def test_it_does_not_modify_the_data_it_is_given() -> None:
    data = _fresh()
    protocol_from_data(data, file="x.yaml")
    assert data == _DATA


# ---- strictness: each mutation is refused, naming file, entry and problem ---------------------


def _set(path: list[Any], value: Any) -> Callable[[dict[str, Any]], None]:
    def mutate(d: dict[str, Any]) -> None:
        node: Any = d
        for step in path[:-1]:
            node = node[step]
        node[path[-1]] = value

    return mutate


def _set_rule(rule_id: str, key: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def mutate(d: dict[str, Any]) -> None:
        _rule(d, rule_id)[key] = value

    return mutate


def _update_rule(rule_id: str, **changes: Any) -> Callable[[dict[str, Any]], None]:
    def mutate(d: dict[str, Any]) -> None:
        _rule(d, rule_id).update(changes)

    return mutate


def _pop_rule(rule_id: str, key: str, message: str | None = None) -> Callable[[dict[str, Any]], None]:
    def mutate(d: dict[str, Any]) -> None:
        del _rule(d, rule_id)[key]
        if message is not None:
            _rule(d, rule_id)["message"] = message

    return mutate


def _copy_rule(rule_id: str, **changes: Any) -> Callable[[dict[str, Any]], None]:
    def mutate(d: dict[str, Any]) -> None:
        clone = copy.deepcopy(_rule(d, rule_id))
        clone.update(changes)
        d["rules"].append(clone)

    return mutate


def _pop(path: list[Any]) -> Callable[[dict[str, Any]], None]:
    def mutate(d: dict[str, Any]) -> None:
        node: Any = d
        for step in path[:-1]:
            node = node[step]
        del node[path[-1]]

    return mutate


def _care_when(code: str, when: str) -> Callable[[dict[str, Any]], None]:
    def mutate(d: dict[str, Any]) -> None:
        next(c for c in d["care"] if c["code"] == code)["when"] = when

    return mutate


_LAST = f"rules[{len(_DATA['rules'])}]"

CASES: list[tuple[str, Callable[[dict[str, Any]], None], str, str]] = [
    (
        "unknown top-level key",
        _set(["favourite_colour"], "red"),
        "favourite_colour",
        "unknown key 'favourite_colour'",
    ),
    (
        "unknown key inside a rule",
        _set_rule("skin-infection-in-area", "colour", "red"),
        _entry("skin-infection-in-area"),
        "unknown key 'colour'",
    ),
    (
        "rule kind that does not exist",
        _set_rule("skin-infection-in-area", "kind", "horoscope"),
        _entry("skin-infection-in-area"),
        "unknown rule kind 'horoscope'",
    ),
    (
        "rule citing a source that is not listed",
        _set_rule("diabetes", "sources", ["S66", "S999"]),
        _entry("diabetes"),
        "cites source 'S999', which is not in the sources list",
    ),
    ("rule with empty sources", _set_rule("diabetes", "sources", []), _entry("diabetes"), "at least 1 item"),
    (
        "window with both days and months",
        _set_rule("sunburn", "window", {"days": 14, "months": 1}),
        _entry("sunburn"),
        "exactly one of 'days' or 'months'",
    ),
    (
        "window with neither days nor months",
        _set_rule("isotretinoin-washout", "window", {}),
        _entry("isotretinoin-washout"),
        "exactly one of 'days' or 'months'",
    ),
    ("window of zero days", _set_rule("sunburn", "window", {"days": 0}), _entry("sunburn"), "zero length"),
    (
        "window of zero months",
        _set_rule("isotretinoin-washout", "window", {"months": 0}),
        _entry("isotretinoin-washout"),
        "zero length",
    ),
    (
        "negative window in days",
        _set_rule("sunburn", "window", {"days": -3}),
        _entry("sunburn"),
        "greater than or equal to 0",
    ),
    (
        "negative window in months",
        _set_rule("isotretinoin-washout", "window", {"months": -6}),
        _entry("isotretinoin-washout"),
        "greater than or equal to 0",
    ),
    (
        "procedure window key that is no depth or kind",
        _set(["rules", _index(_DATA, "recent-chemical-peel"), "windows", "ablative"], {"days": 30}),
        _entry("recent-chemical-peel"),
        "windows.ablative: not a depth or kind of chemical_peel",
    ),
    (
        "procedure window key of another procedure's kinds",
        _set(["rules", _index(_DATA, "recent-laser"), "windows", "superficial"], {"days": 30}),
        _entry("recent-laser"),
        "windows.superficial: not a depth or kind of laser",
    ),
    (
        "procedure windows without default",
        _pop(["rules", _index(_DATA, "recent-chemical-peel"), "windows", "default"]),
        _entry("recent-chemical-peel"),
        "windows need a 'default'",
    ),
    (
        "procedure window of zero length",
        _set(["rules", _index(_DATA, "recent-laser"), "windows", "non_ablative"], {"days": 0}),
        _entry("recent-laser"),
        "windows.non_ablative: a window of zero length",
    ),
    (
        "stopped-medication rule without a window",
        _pop_rule("isotretinoin-washout", "window", "You stopped {name} on {date}."),
        _entry("isotretinoin-washout"),
        "a rule on stopped medication needs a 'window'",
    ),
    (
        "current-medication rule with a window",
        _set_rule("antithrombotic-medication", "window", {"days": 7}),
        _entry("antithrombotic-medication"),
        "a rule on current medication takes no window",
    ),
    (
        "window on a rule that does not defer",
        _set_rule("diabetes", "window", {"days": 7}),
        _entry("diabetes"),
        "a window only makes sense for a 'defer' decision",
    ),
    (
        "procedure rule that does not defer",
        _update_rule("recent-tanning", decision="needs_clearance", message="You tanned on {date}."),
        _entry("recent-tanning"),
        "a procedure rule defers",
    ),
    (
        "site rule that does not contraindicate",
        _set_rule("excluded-site", "decision", "needs_clearance"),
        _entry("excluded-site"),
        "its decision is 'contraindicated'",
    ),
    (
        "condition rule naming an unknown condition",
        _set_rule("diabetes", "conditions", ["gout"]),
        _entry("diabetes"),
        "unknown condition code 'gout'",
    ),
    (
        "contradiction: same trigger, different decision",
        _copy_rule("diabetes", id="diabetes-strict", decision="contraindicated"),
        f"{_LAST} (id: diabetes-strict)",
        "contradicts rule 'diabetes' on condition diabetes active",
    ),
    (
        "contradiction on an overlapping ATC prefix",
        _copy_rule(
            "antithrombotic-medication", id="warfarin-strict", decision="contraindicated", atc=["B01AA03"]
        ),
        f"{_LAST} (id: warfarin-strict)",
        "contradicts rule 'antithrombotic-medication'",
    ),
    (
        "repeat: same trigger, same decision",
        _copy_rule("diabetes", id="diabetes-again"),
        f"{_LAST} (id: diabetes-again)",
        "repeats rule 'diabetes' on condition diabetes active",
    ),
    (
        "duplicate rule id",
        _copy_rule("diabetes", conditions=["psoriasis"], statuses=["history"]),
        f"{_LAST} (id: diabetes)",
        "rule id 'diabetes' is used twice",
    ),
    (
        "message with an unknown placeholder",
        _set_rule("diabetes", "message", "Hello {colour}."),
        _entry("diabetes"),
        "unknown placeholder(s) ['colour']",
    ),
    (
        "message with attribute access",
        _set_rule("diabetes", "message", "Hi {name.__class__}"),
        _entry("diabetes"),
        "placeholder {name.__class__} must be a plain name",
    ),
    (
        "message with item access",
        _set_rule("diabetes", "message", "Hi {name[0]}"),
        _entry("diabetes"),
        "must be a plain name",
    ),
    (
        "message with a conversion",
        _set_rule("diabetes", "message", "Hi {name!r}"),
        _entry("diabetes"),
        "must be a plain name",
    ),
    (
        "message with a format spec",
        _set_rule("diabetes", "message", "Hi {name:>30}"),
        _entry("diabetes"),
        "must be a plain name",
    ),
    (
        "positional placeholder",
        _set_rule("diabetes", "message", "Hi {}"),
        _entry("diabetes"),
        "must be a plain name",
    ),
    (
        "message using {until} on a rule that gives no date",
        _set_rule("diabetes", "message", "Wait until {until}."),
        _entry("diabetes"),
        "this rule gives no date, so it cannot use {until}",
    ),
    (
        "message_undated using {until}",
        _set_rule("sunburn", "message_undated", "Wait until {until}."),
        _entry("sunburn"),
        "message_undated: this rule gives no date",
    ),
    (
        "area depth max above its ceiling",
        _set(["areas", "forehead", "depth_mm", "max"], 0.8),
        "areas.forehead",
        "depth max 0.8 mm is above the ceiling 0.5 mm",
    ),
    (
        "area depth min above max",
        _set(["areas", "cheeks", "depth_mm"], {"min": 1.2, "max": 1.0}),
        "areas.cheeks",
        "depth min 1.2 is above max 1.0",
    ),
    (
        "goal depth above the area ceiling",
        _set(["goals", "acne_scars", "depths", "areas", "forehead"], {"min": 0.5, "max": 1.0}),
        "goals.acne_scars.depths.areas.forehead",
        "above the area's ceiling 0.5 mm",
    ),
    (
        "goal depth for an excluded site",
        _set(["goals", "acne_scars", "depths", "areas", "eyelids"], {"min": 0.1, "max": 0.2}),
        "goals.acne_scars.depths.areas.eyelids",
        "an area a site rule excludes",
    ),
    (
        "area entry for an excluded site",
        _set(
            ["areas", "eyelids"],
            {"ceiling_mm": 0.3, "depth_mm": {"min": 0.1, "max": 0.2}, "sources": ["S66"], "evidence": "PRAC"},
        ),
        "areas.eyelids",
        "an area a site rule excludes",
    ),
    (
        "missing area",
        _pop(["areas", "neck"]),
        "areas.neck",
        "missing: every area needs a depth and ceiling or a site exclusion",
    ),
    (
        "missing goal",
        _pop(["goals", "laxity"]),
        "goals.laxity",
        "missing: every goal needs sessions, interval and expectations",
    ),
    (
        "interval min above max",
        _set(["goals", "acne_scars", "interval_days"], {"min": 60, "max": 28}),
        "goals.acne_scars.interval_days",
        "min is above max",
    ),
    (
        "goal naming an unknown adjunct",
        _set(["goals", "melasma", "adjuncts"], ["vitamin_c"]),
        "goals.melasma.adjuncts",
        "unknown adjunct 'vitamin_c'",
    ),
    (
        "adjunct used during needling that is not made for it",
        _set(["adjuncts", "depigmenting_cream", "timing"], "during"),
        "adjuncts.depigmenting_cream",
        "only products meant for use during needling",
    ),
    (
        "care item whose `when` names no finding",
        _care_when("antiviral_prophylaxis", "cold_feet"),
        _care_entry("antiviral_prophylaxis"),
        "'when: cold_feet' names no finding of any rule",
    ),
    (
        "medication name not in lower case",
        _set(["medications", "Warfarin"], "B01AA03"),
        "medications.Warfarin",
        "lower case",
    ),
    (
        "medication mapped to a malformed ATC code",
        _set(["medications", "warfarin"], "b01aa03"),
        "medications.warfarin",
        "pattern",
    ),
    ("missing protocol header", _pop(["protocol"]), "protocol", "missing key 'protocol'"),
    (
        "source with an unknown evidence level",
        _set(["sources", "S5", "level"], "rumour"),
        "sources.S5.level",
        "Input should be",
    ),
]


@pytest.mark.parametrize(("mutate", "entry", "problem"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_it_refuses_a_broken_protocol_naming_file_entry_and_problem(
    mutate: Callable[[dict[str, Any]], None], entry: str, problem: str
) -> None:
    data = _fresh()
    mutate(data)
    err = _refused(data)
    text = str(err)
    assert text.startswith("x.yaml: "), text
    assert entry in text, text
    assert problem in text, text
    assert err.file == "x.yaml"
    assert err.entry.startswith(entry), err.entry
    assert problem in err.problem
    shape = err.as_dict()
    assert shape["message"] == text
    assert shape["extra"] == {"field": "protocol", "file": "x.yaml", "entry": err.entry}


# ---- the recovery section: each broken value is refused, naming its entry --------------------


def _sign(d: dict[str, Any], code: str) -> dict[str, Any]:
    sign = next(s for s in d["recovery"]["warning_signs"] if s["code"] == code)
    assert isinstance(sign, dict)
    return sign


def _sign_entry(code: str) -> str:
    i = next(i for i, s in enumerate(_DATA["recovery"]["warning_signs"]) if s["code"] == code)
    return f"recovery.warning_signs[{i}] (code: {code})"


def _ungrounded(d: dict[str, Any]) -> None:
    sign = _sign(d, "blisters")
    sign.pop("sources", None)
    sign["clinic_choice"] = False


def _no_evidence(d: dict[str, Any]) -> None:
    del _sign(d, "cold_sore")["evidence"]


def _sign_twice(d: dict[str, Any]) -> None:
    d["recovery"]["warning_signs"].append(copy.deepcopy(_sign(d, "fever")))


def _threshold(**changes: Any) -> Callable[[dict[str, Any]], None]:
    def mutate(d: dict[str, Any]) -> None:
        d["recovery"]["not_as_expected"][0].update(changes)

    return mutate


def _check_ins(*days: int) -> Callable[[dict[str, Any]], None]:
    def mutate(d: dict[str, Any]) -> None:
        others = [c for c in d["care"] if c["code"] != "check_in"]
        template = next(c for c in d["care"] if c["code"] == "check_in")
        d["care"] = others + [{**template, "offset_days": day} for day in days]

    return mutate


def _check_in_entry(position: int) -> str:
    others = sum(1 for c in _DATA["care"] if c["code"] != "check_in")
    return f"care[{others + position}] (code: check_in)"


RECOVERY_CASES: list[tuple[str, Callable[[dict[str, Any]], None], str, str]] = [
    ("missing recovery section", _pop(["recovery"]), "recovery", "missing key 'recovery'"),
    (
        "unknown key in the recovery section",
        _set(["recovery", "colour"], "red"),
        "recovery",
        "unknown key 'colour'",
    ),
    (
        "value with neither sources nor clinic_choice",
        _ungrounded,
        _sign_entry("blisters"),
        "gives no grounds: cite its sources or mark it 'clinic_choice: true'",
    ),
    (
        "sources without their evidence level",
        _no_evidence,
        _sign_entry("cold_sore"),
        "cites sources without their 'evidence' level",
    ),
    (
        "recovery value citing a source not in the list",
        _set(["recovery", "worse_than_before", "sources"], ["S999"]),
        "recovery.worse_than_before",
        "cites source 'S999', which is not in the sources list",
    ),
    ("warning sign listed twice", _sign_twice, "recovery.warning_signs[5] (code: fever)", "listed twice"),
    (
        "warning sign without words for patients",
        _set(["recovery", "warning_signs", 0, "label"], ""),
        "recovery.warning_signs[0] (code: pus).label",
        "at least 1 character",
    ),
    (
        "threshold on a day that is not a check-in day",
        _threshold(day=2),
        "recovery.not_as_expected[0] (day: 2)",
        "day 2 is not a check-in day [1, 3, 7]",
    ),
    (
        "threshold above the highest score",
        _threshold(from_score=11),
        "recovery.not_as_expected[0] (day: 3)",
        "from_score 11 is above the highest score 10",
    ),
    (
        "two thresholds for one day",
        _threshold(day=7),
        "recovery.not_as_expected[1] (day: 7)",
        "day 7 has a threshold already",
    ),
    (
        "threshold on a score patients do not give",
        _threshold(scores=["itch"]),
        "recovery.not_as_expected[0].scores",
        "Input should be 'redness', 'swelling' or 'pain'",
    ),
    (
        "no check-in care item",
        _check_ins(),
        "care",
        "no check-in: give care items with code 'check_in'",
    ),
    (
        "check-in on the day of the session",
        _check_ins(0, 3, 7),
        _check_in_entry(0),
        "a check-in is on day 1 or later, not day 0",
    ),
    (
        "check-in after check-ins close",
        _check_ins(1, 3, 7, 21),
        _check_in_entry(3),
        "day 21 is after check-ins close (14 days after)",
    ),
    ("two check-ins on one day", _check_ins(1, 3, 3, 7), _check_in_entry(2), "a second check-in on day 3"),
    (
        "check-ins open for no days",
        _set(["recovery", "open_for", "days"], 0),
        "recovery.open_for.days",
        "greater than or equal to 1",
    ),
]


@pytest.mark.parametrize(
    ("mutate", "entry", "problem"), [c[1:] for c in RECOVERY_CASES], ids=[c[0] for c in RECOVERY_CASES]
)
def test_it_refuses_a_broken_recovery_section_naming_entry_and_problem(
    mutate: Callable[[dict[str, Any]], None], entry: str, problem: str
) -> None:
    data = _fresh()
    mutate(data)
    err = _refused(data)
    assert str(err).startswith("x.yaml: "), str(err)
    assert err.entry.startswith(entry), err.entry
    assert problem in err.problem, err.problem


def test_it_grounds_every_recovery_value_in_sources_or_a_clinic_choice() -> None:
    recovery = load_protocol().recovery
    values = [
        recovery.scores,
        *recovery.warning_signs,
        *recovery.not_as_expected,
        recovery.worse_than_before,
        recovery.due_for,
        recovery.open_for,
    ]
    assert all(v.sources or v.clinic_choice for v in values)
    assert [v.day for v in recovery.not_as_expected] == [3, 7]
    assert all(t.clinic_choice and t.sources for t in recovery.not_as_expected)  # scores: the clinic's


def test_it_names_rules_by_position_and_id_for_schema_errors_too() -> None:
    data = _fresh()
    _rule(data, "recent-laser")["windows"]["non_ablative"] = {"days": "three weeks"}
    text = str(_refused(data))
    assert _entry("recent-laser") in text
    assert "non_ablative" in text


def test_it_refuses_a_window_over_its_upper_bound() -> None:
    data = _fresh()
    _rule(data, "isotretinoin-washout")["window"] = {"months": 1200}
    text = str(_refused(data))
    assert _entry("isotretinoin-washout") in text
    assert "less than or equal to 120" in text


@pytest.mark.parametrize("top", [[1, 2, 3], "a protocol", 42, None, True])
def test_it_refuses_a_top_level_that_is_not_a_mapping(top: Any) -> None:
    err = _refused(top)
    assert err.entry == "$"
    assert str(err) == "x.yaml: $: the file must hold a mapping at the top level"


# ---- files -----------------------------------------------------------------------------------


def test_it_refuses_invalid_yaml_naming_the_file(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text("protocol: [\n  id: x\n", encoding="utf-8")
    with pytest.raises(ProtocolError) as info:
        load_protocol(path)
    assert str(info.value).startswith(f"{path}: $: is not valid YAML")
    assert info.value.file == str(path)


def test_it_refuses_python_object_tags_as_invalid_yaml(tmp_path: Path) -> None:
    path = tmp_path / "evil.yaml"
    path.write_text("protocol: !!python/object/apply:os.system ['true']\n", encoding="utf-8")
    with pytest.raises(ProtocolError) as info:
        load_protocol(path)
    assert "is not valid YAML" in str(info.value)
    assert str(path) in str(info.value)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("- a\n- b\n", "the file must hold a mapping at the top level"),
        ("", "the file must hold a mapping at the top level"),
        ("just words\n", "the file must hold a mapping at the top level"),
    ],
)
def test_it_refuses_a_yaml_file_without_a_mapping(tmp_path: Path, text: str, expected: str) -> None:
    path = tmp_path / "p.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ProtocolError) as info:
        load_protocol(path)
    assert str(info.value) == f"{path}: $: {expected}"


def test_it_refuses_a_file_that_does_not_exist(tmp_path: Path) -> None:
    path = tmp_path / "nowhere.yaml"
    with pytest.raises(ProtocolError) as info:
        load_protocol(path)
    assert str(info.value).startswith(f"{path}: $: cannot be read")


def test_it_refuses_a_directory_as_a_protocol_file(tmp_path: Path) -> None:
    with pytest.raises(ProtocolError) as info:
        load_protocol(tmp_path)
    assert str(info.value).startswith(f"{tmp_path}: $: cannot be read")


def test_it_refuses_a_file_that_is_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes(DEFAULT_YAML.read_bytes() + b"\n# caf\xe9\n")
    with pytest.raises(ProtocolError) as info:
        load_protocol(path)
    assert str(info.value).startswith(f"{path}: $: cannot be read")


def test_it_names_the_file_path_for_a_broken_protocol_on_disk(tmp_path: Path) -> None:
    data = _fresh()
    _rule(data, "diabetes")["message"] = "Hi {colour}"
    path = tmp_path / "clinic.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    with pytest.raises(ProtocolError) as info:
        load_protocol(path)
    assert str(info.value).startswith(f"{path}: {_entry('diabetes')}: message: unknown placeholder")


# ---- a clinic's own protocol ------------------------------------------------------------------


def _clinic_protocol(tmp_path: Path) -> Path:
    data = _fresh()
    data["protocol"]["id"] = "clinic-north"
    data["protocol"]["version"] = "2027.1"
    data["protocol"]["approved"] = {
        "name": "Dr A. Medical Director",
        "role": "medical director",
        "date": dt.date(2027, 1, 5),
    }
    _rule(data, "isotretinoin-washout")["window"] = {"months": 3}
    path = tmp_path / "clinic-north.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path


def test_it_loads_a_clinic_copy_with_its_own_id_version_and_window(tmp_path: Path) -> None:
    p = load_protocol(_clinic_protocol(tmp_path))
    assert p.ref == {"id": "clinic-north", "version": "2027.1"}
    assert p.protocol.approved.date == dt.date(2027, 1, 5)
    washout = next(r for r in p.rules if r.id == "isotretinoin-washout")
    assert washout.window is not None and washout.window.months == 3  # type: ignore[union-attr]
    assert missing_findings(p) == []


def test_it_records_the_clinic_protocol_in_screenings_and_uses_its_window(tmp_path: Path) -> None:
    clinic = load_protocol(_clinic_protocol(tmp_path))
    default = load_protocol()
    raw = _intake(medications=[{"name": "isotretinoin", "status": "stopped", "last_taken": "2026-09-01"}])
    mine = Screener(clinic).screen(intake_from_mapping(raw, clinic.vocabulary_for_intake()))
    theirs = Screener(default).screen(intake_from_mapping(raw, default.vocabulary_for_intake()))
    assert mine.as_dict()["protocol"] == {"id": "clinic-north", "version": "2027.1"}
    assert theirs.as_dict()["protocol"] == {"id": "default", "version": "2026.11.1"}
    assert mine.decision == theirs.decision == "defer"
    assert mine.earliest_date == dt.date(2026, 12, 1)
    assert theirs.earliest_date == dt.date(2027, 3, 1)
    assert [f.code for f in mine.findings] == ["isotretinoin_recent"]
    json.dumps(mine.as_dict())  # the screening is JSON as it stands


def test_it_accepts_a_protocol_adding_vocabulary_with_entries_for_it(tmp_path: Path) -> None:
    data = _fresh()
    data["vocabulary"] = {"areas": ["scalp"]}
    data["areas"]["scalp"] = {
        "ceiling_mm": 1.0,
        "depth_mm": {"min": 0.5, "max": 1.0},
        "sources": ["S66"],
        "evidence": "PRAC",
    }
    p = protocol_from_data(data, file="x.yaml")
    assert "scalp" in p.vocabulary_for_intake().areas
    data["areas"].pop("scalp")
    err = _refused(data)
    assert err.entry == "areas.scalp"
    assert "missing" in err.problem
