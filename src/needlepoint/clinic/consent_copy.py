"""The copy of what a patient is shown before signing consent: the consent text and the plan
agreed, in the form the consent page shows and the signed record keeps, and the SHA-256 of
both. Pure: no Django, so the copy made when signing and the one recomputed later are the same.

The canonical serialisation hashed (see `canonical`): the JSON object
`{"plan": <plan shown>, "text": <text shown>}` written with keys sorted, no spaces
(separators "," and ":"), non-ASCII characters as themselves (not escaped), encoded in UTF-8.
In Python: `json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False)`."""

import hashlib
import json
from collections.abc import Mapping
from typing import Any

from needlepoint.clinic.plan_view import PlannedArea, PlanView
from needlepoint.clinical.vocab import area_label

PLAN_COPY_SCHEMA = "needlepoint.consent-plan/1"


def text_shown(*, treatment: str, version: str, title: str, body: str) -> dict[str, str]:
    """Return the consent text as shown: treatment, version label, title and body."""
    return {"treatment": treatment, "version": version, "title": title, "body": body}


def plan_shown(plan: PlanView, *, goal: str) -> dict[str, Any]:
    """Return the plan as the patient reads it before signing: the goal, the number of sessions,
    the time between them, each area with its depth range and the adjuncts chosen, as data and
    as the plain sentences the page shows (`lines`)."""
    areas = [_area(a) for a in plan.areas]
    adjuncts = [a.label for a in plan.selected_adjuncts]
    doc: dict[str, Any] = {
        "schema": PLAN_COPY_SCHEMA,
        "goal": goal,
        "sessions": plan.session_count,
        "interval_days": {"min": plan.interval_min, "max": plan.interval_max},
        "areas": areas,
        "adjuncts": adjuncts,
    }
    doc["lines"] = plan_lines(doc)
    return doc


def _area(area: PlannedArea) -> dict[str, Any]:
    return {
        "code": area.code,
        "label": area_label(area.code).capitalize(),
        "depth_mm": {"min": area.depth_min, "max": area.depth_max},
    }


def plan_lines(doc: Mapping[str, Any]) -> list[str]:
    """The plan in plain sentences, one per line, as the consent page shows it."""
    count = int(doc.get("sessions") or 0)
    interval = doc.get("interval_days") or {}
    lines = [f"What the course is for: {doc.get('goal') or 'not recorded'}."]
    sessions = f"{count} session{'' if count == 1 else 's'}"
    between = _between(int(interval.get("min") or 0), int(interval.get("max") or 0))
    lines.append(f"{sessions}, {between} apart." if count > 1 and between else f"{sessions}.")
    for area in doc.get("areas") or ():
        lines.append(f"{area['label']}: needles {_depth(area.get('depth_mm') or {})}.")
    adjuncts = list(doc.get("adjuncts") or ())
    lines.append(
        "Also used: " + ", ".join(adjuncts) + "."
        if adjuncts
        else "No other treatment (such as PRP) is added."
    )
    return lines


def _between(low: int, high: int) -> str:
    if not low and not high:
        return ""
    if low % 7 == 0 and high % 7 == 0:
        low, high, unit = low // 7, high // 7, "week"
    else:
        unit = "day"
    if low == high or not low or not high:
        n = low or high
        return f"{n} {unit}{'' if n == 1 else 's'}"
    return f"{low} to {high} {unit}s"


def _depth(depth: Mapping[str, Any]) -> str:
    low, high = depth.get("min"), depth.get("max")
    if low is None and high is None:
        return "at a depth the practitioner sets on the day"
    if low is None or high is None or low == high:
        return f"{_mm(low if high is None else high)} mm deep"
    return f"{_mm(low)} to {_mm(high)} mm deep"


def _mm(value: Any) -> str:
    return f"{float(value):g}"


def canonical(text: Mapping[str, Any], plan: Mapping[str, Any]) -> bytes:
    """The bytes hashed: see the module docstring."""
    doc = {"plan": plan, "text": text}
    return json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def content_sha256(text: Mapping[str, Any], plan: Mapping[str, Any]) -> str:
    """The SHA-256 (hex) of the canonical serialisation of the text and plan shown."""
    return hashlib.sha256(canonical(text, plan)).hexdigest()
