"""The expected recovery after a session, as the protocol states it: the days the patient checks
in (the `check_in` care items), the warning signs, the scores from which a check-in is "not as
expected", and how long a check-in stays due and open. Pure: no Django, no clock.

`RecoveryRules.of(protocol)` reads them once; `review_recovery` compares a check-in with them and
`check_in_state` says whether a check-in day is upcoming, due, overdue or closed."""

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Literal, get_args

from needlepoint.clinical.protocol import Protocol, ScoreName
from needlepoint.words import human_list

SCORES: tuple[ScoreName, ...] = get_args(ScoreName)
"""What the patient scores at each check-in (redness, swelling, pain), in the order reasons
name them."""

CheckInState = Literal["done", "upcoming", "due", "overdue", "closed"]


@dataclass(frozen=True, slots=True)
class RecoveryRules:
    """The protocol's recovery section in the shape the checks use.

    `warning_signs` maps each sign's code to the words patients read, in the protocol's order;
    `not_as_expected` maps a check-in day to {score name: the score from which it is flagged};
    `worse_than_before` names the scores that must not rise between check-ins; a check-in is due
    for `due_for_days` from its day, and check-ins close `open_for_days` after the session."""

    check_in_days: tuple[int, ...]
    score_max: int
    warning_signs: Mapping[str, str]
    not_as_expected: Mapping[int, Mapping[ScoreName, int]]
    worse_than_before: tuple[ScoreName, ...]
    due_for_days: int
    open_for_days: int

    @classmethod
    def of(cls, protocol: Protocol) -> "RecoveryRules":
        r = protocol.recovery
        return cls(
            check_in_days=protocol.check_in_days,
            score_max=r.scores.max,
            warning_signs=MappingProxyType({s.code: s.label for s in r.warning_signs}),
            not_as_expected=MappingProxyType(
                {
                    t.day: MappingProxyType({name: t.from_score for name in SCORES if name in t.scores})
                    for t in r.not_as_expected
                }
            ),
            worse_than_before=tuple(name for name in SCORES if name in r.worse_than_before.scores),
            due_for_days=r.due_for.days,
            open_for_days=r.open_for.days,
        )


@dataclass(frozen=True, slots=True)
class RecoveryReview:
    """How a check-in compares with the expected recovery: `expected` is False when staff must
    look at it; `reasons` say why in plain words; `warning_signs` make it urgent."""

    expected: bool
    warning_signs: tuple[str, ...]
    reasons: tuple[str, ...]

    @property
    def urgent(self) -> bool:
        return bool(self.warning_signs)


def review_recovery(
    rules: RecoveryRules,
    *,
    day: int,
    scores: Mapping[str, int],
    warning_signs: Sequence[str],
    previous: Mapping[str, int] | None,
) -> RecoveryReview:
    """Return how the day-`day` check-in compares with the expected recovery under `rules`.

    - Any warning sign is a flag, urgent: none is part of the usual recovery.
    - A score at or above the day's threshold (`not_as_expected`) is a flag; a day without one
      (day 1 in the default protocol) has no threshold.
    - A score in `worse_than_before` higher than at the `previous` check-in of the same session
      (its scores and its "day") is a flag.
    """
    signs = tuple(code for code in rules.warning_signs if code in warning_signs)
    reasons = []
    if signs:
        reasons.append("warning sign reported: " + human_list([rules.warning_signs[s] for s in signs]))
    reasons += _above_threshold(rules, day, scores)
    if previous is not None:
        reasons += _worse(rules, scores, previous)
    return RecoveryReview(not reasons, signs, tuple(reasons))


def _above_threshold(rules: RecoveryRules, day: int, scores: Mapping[str, int]) -> list[str]:
    most = rules.score_max
    return [
        f"{name} {scores[name]}/{most} on day {day} (expected to be settling; flagged from {limit}/{most})"
        for name, limit in rules.not_as_expected.get(day, {}).items()
        if scores[name] >= limit
    ]


def _worse(rules: RecoveryRules, scores: Mapping[str, int], previous: Mapping[str, int]) -> list[str]:
    most = rules.score_max
    return [
        f"{name} worse than at the day {previous['day']} check-in "
        f"({previous[name]}/{most} → {scores[name]}/{most})"
        for name in rules.worse_than_before
        if scores[name] > previous[name]
    ]


def check_in_state(
    rules: RecoveryRules, *, start: dt.date | None, day: int, done: bool, today: dt.date
) -> CheckInState:
    """Return the state of the day-`day` check-in of a session held on `start` (None: the
    session has no date): "done", "upcoming" (not yet the day), "due", "overdue" or "closed"
    (missed, or the session has no date)."""
    if done:
        return "done"
    if start is None:
        return "closed"
    if today < start + dt.timedelta(days=day):
        return "upcoming"
    if today > start + dt.timedelta(days=rules.open_for_days):
        return "closed"
    return "due" if today < start + dt.timedelta(days=day + rules.due_for_days) else "overdue"
