"""Benchmark: screening plus planning of 10,000 generated intakes against parsing alone.

Measured in the same run on the same intakes (JSON text): the baseline parses and validates
each intake (structure, types, codes, dates); the whole decision does the same and then screens
and plans it (findings with their patient messages, per-area decisions, depths, schedule, care
timeline). A third figure adds turning the plan into its JSON-ready document, for the record.
Reported: best and median of several rounds, per-intake microseconds, and the ratios.
Goal: the whole decision at most 3 times the parsing and validation alone.

    make bench            # or: .venv/bin/python bench/bench_clinical.py [--intakes N]
"""

import argparse
import datetime as dt
import gc
import json
import random
import statistics
import time
from collections.abc import Callable

from needlepoint.clinical import vocab
from needlepoint.clinical.intake import parse_intake
from needlepoint.clinical.planning import Planner
from needlepoint.clinical.protocol import load_protocol
from needlepoint.clinical.screening import Screener

TODAY = dt.date(2026, 11, 22)
MEDICINES = [
    "warfarin",
    "apixaban",
    "aspirin",
    "isotretinoin",
    "adapalene",
    "retinol",
    "methotrexate",
    "prednisolone",
    "metformin",
    "levothyroxine",
    "Xarelto",
]


def _day(rng: random.Random, back: int) -> str:
    return (TODAY - dt.timedelta(days=rng.randint(0, back))).isoformat()


def _condition(rng: random.Random) -> dict[str, object]:
    c: dict[str, object] = {
        "code": rng.choice(vocab.CONDITIONS),
        "status": rng.choice(vocab.CONDITION_STATUSES),
    }
    if rng.random() < 0.5:
        c["areas"] = rng.sample(vocab.AREAS, rng.randint(1, 2))
    if rng.random() < 0.5:
        c["date"] = _day(rng, 400)
    return c


def _medication(rng: random.Random) -> dict[str, object]:
    m: dict[str, object] = {"name": rng.choice(MEDICINES), "status": rng.choice(["current", "stopped"])}
    if m["status"] == "stopped" and rng.random() < 0.8:
        m["last_taken"] = _day(rng, 400)
    return m


def _procedure(rng: random.Random) -> dict[str, object]:
    p: dict[str, object] = {"code": rng.choice(vocab.PROCEDURES), "date": _day(rng, 500)}
    if p["code"] == "chemical_peel":
        p["depth"] = rng.choice(vocab.PEEL_DEPTHS)
    if p["code"] == "laser":
        p["kind"] = rng.choice(vocab.LASER_KINDS)
    return p


def generate(n: int, seed: int = 20261122) -> list[str]:
    """Return `n` varied, valid intakes as JSON text (deterministic for a seed)."""
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        born = TODAY - dt.timedelta(days=rng.randint(15 * 365, 75 * 365))
        intake = {
            "schema": vocab.INTAKE_SCHEMA,
            "assessed_on": TODAY.isoformat(),
            "patient": {"birth_date": born.isoformat()},
            "goals": rng.sample(vocab.GOALS, rng.randint(1, 2)),
            "areas": rng.sample(vocab.AREAS, rng.randint(1, 4)),
            "skin": {"fitzpatrick": rng.randint(1, 6)},
            "scars": {
                "icepick": rng.randint(0, 9),
                "boxcar": rng.randint(0, 9),
                "rolling": rng.randint(0, 9),
                "goodman_baron_grade": rng.randint(1, 4),
            },
            "pregnancy": rng.choice(vocab.PREGNANCY),
            "conditions": [_condition(rng) for _ in range(rng.choice([0, 0, 1, 2, 3]))],
            "medications": [_medication(rng) for _ in range(rng.choice([0, 0, 1, 2]))],
            "procedures": [_procedure(rng) for _ in range(rng.choice([0, 1, 2]))],
            "allergies": rng.sample(["lidocaine", "nickel", "latex", "penicillin"], rng.choice([0, 0, 1])),
        }
        out.append(json.dumps(intake))
    return out


def best_of(rounds: int, work: Callable[[], object]) -> list[float]:
    """Return the wall time of each of `rounds` runs of `work` (garbage collector paused)."""
    times = []
    for _ in range(rounds):
        gc.collect()
        gc.disable()
        t0 = time.perf_counter()
        work()
        times.append(time.perf_counter() - t0)
        gc.enable()
    return times


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--intakes", type=int, default=10_000)
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args()
    protocol = load_protocol()
    voc = protocol.vocabulary_for_intake()
    screener, planner = Screener(protocol), Planner(protocol)
    texts = generate(args.intakes)
    start = TODAY + dt.timedelta(days=1)

    def parse_only() -> None:
        for t in texts:
            parse_intake(t, voc)

    def decide() -> None:
        for t in texts:
            intake = parse_intake(t, voc)
            planner.plan(intake, screener.screen(intake), start)

    def decide_and_render() -> None:
        for t in texts:
            intake = parse_intake(t, voc)
            planner.plan(intake, screener.screen(intake), start).as_dict()

    n = len(texts)
    print(f"intakes: {n}, rounds: {args.rounds} (best and median of the rounds)")
    rows = [
        ("parse+validate only", best_of(args.rounds, parse_only)),
        ("parse+screen+plan (whole decision)", best_of(args.rounds, decide)),
        ("  ... + plan document (as_dict)", best_of(args.rounds, decide_and_render)),
    ]
    for label, times in rows:
        best = min(times)
        print(
            f"{label:<36} best {best:.3f} s  median {statistics.median(times):.3f} s"
            f"  ({best / n * 1e6:.1f} us/intake)"
        )
    base = min(rows[0][1])
    ratio, rendered = min(rows[1][1]) / base, min(rows[2][1]) / base
    verdict = "met" if ratio <= 3 else "NOT met"
    print(
        f"ratio whole decision / parsing alone: {ratio:.2f} (goal <= 3.00: {verdict});"
        f" with the document: {rendered:.2f}"
    )


if __name__ == "__main__":
    main()
