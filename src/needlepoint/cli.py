"""The `needlepoint` command: screen, plan, protocol check, photo measure and align.

See the README, "The `needlepoint` command".

Output is one JSON document on stdout with exit status 0. Bad input exits with status 2,
prints nothing on stdout and one JSON error {"message", "extra": {"field"}} on stderr.
"""

import argparse
import datetime as dt
import json
import re
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn

from needlepoint.clinical.errors import IntakeError, PlanningError, ProtocolError
from needlepoint.clinical.intake import IntakeModel, check_date_span, parse_intake
from needlepoint.clinical.planning import Planner
from needlepoint.clinical.protocol import DEFAULT_PROTOCOL, Protocol, load_protocol
from needlepoint.clinical.protocol_checks import missing_findings
from needlepoint.clinical.screening import Screener
from needlepoint.photo.errors import PhotoError

EXIT_BAD_INPUT = 2


class UsageError(Exception):
    def __init__(self, message: str, field: str):
        super().__init__(message)
        self.message, self.field = message, field


class _Parser(argparse.ArgumentParser):
    """argparse that reports usage mistakes in the contract's JSON error shape."""

    def error(self, message: str) -> NoReturn:
        field = "arguments"
        for name in (
            "--start",
            "--protocol",
            "INTAKE",
            "FILE",
            "BEFORE",
            "AFTER",
            "--region",
            "command",
            "action",
        ):
            if name in message:
                field = name.lstrip("-").lower()
        raise UsageError(f"{message} (usage: {self.format_usage().strip()})", field)


def _parser() -> _Parser:
    p = _Parser(prog="needlepoint", description="Microneedling candidacy screening and planning.")
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)
    s = sub.add_parser("screen", help="screen an intake (path, or - for stdin)")
    s.add_argument("intake", metavar="INTAKE")
    s.add_argument("--protocol", metavar="FILE")
    pl = sub.add_parser("plan", help="propose a course for an intake")
    pl.add_argument("intake", metavar="INTAKE")
    pl.add_argument("--start", required=True, metavar="YYYY-MM-DD")
    pl.add_argument("--protocol", metavar="FILE")
    pr = sub.add_parser("protocol", help="protocol tools")
    psub = pr.add_subparsers(dest="action", required=True, parser_class=_Parser)
    chk = psub.add_parser("check", help="validate a protocol file")
    chk.add_argument("file", nargs="?", metavar="FILE")
    ph = sub.add_parser("photo", help="measure colour in a photo, align two photos")
    phsub = ph.add_subparsers(dest="action", required=True, parser_class=_Parser)
    me = phsub.add_parser("measure", help="find the colour card, check quality, measure regions")
    me.add_argument("file", metavar="FILE")
    me.add_argument("--region", action="append", default=[], metavar="NAME=X,Y,W,H")
    al = phsub.add_parser("align", help="the homography taking AFTER onto BEFORE")
    al.add_argument("before", metavar="BEFORE")
    al.add_argument("after", metavar="AFTER")
    return p


def _read_intake(source: str) -> bytes:
    if source == "-":
        return sys.stdin.buffer.read()
    try:
        return Path(source).read_bytes()
    except OSError as exc:
        raise UsageError(f"cannot read the intake {source!r}: {exc.strerror}", "intake") from None


def _start_date(text: str) -> dt.date:
    try:
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            raise ValueError(text)
        day = dt.date.fromisoformat(text)
        check_date_span(day, "start")
    except ValueError:
        raise UsageError(f"--start {text!r} is not a real date in YYYY-MM-DD form", "start") from None
    except IntakeError as exc:
        raise UsageError(exc.message.replace("start (", "--start ("), "start") from None
    return day


def _load(protocol: Protocol | None, path: str | None) -> Protocol:
    return protocol if protocol is not None and path is None else load_protocol(path)


def _intake(args: argparse.Namespace, proto: Protocol) -> IntakeModel:
    return parse_intake(_read_intake(args.intake), proto.vocabulary_for_intake())


def run(argv: Sequence[str], protocol: Protocol | None = None) -> dict[str, Any]:
    """Run one command and return its JSON document; raises the core's errors on bad input."""
    args = _parser().parse_args(argv)
    if args.command == "photo":
        from needlepoint.photo.command import run_photo

        return run_photo(args.action, args)
    if args.command == "protocol":
        return _check(args.file)
    start = _start_date(args.start) if args.command == "plan" else None
    proto = _load(protocol, args.protocol)
    intake = _intake(args, proto)
    screening = Screener(proto).screen(intake)
    if start is None:
        return screening.as_dict()
    return Planner(proto).plan(intake, screening, start).as_dict()


def _check(path: str | None) -> dict[str, Any]:
    proto = load_protocol(path)
    head = proto.protocol
    return {
        "ok": True,
        "file": str(Path(path) if path else DEFAULT_PROTOCOL),
        "protocol": {
            **proto.ref,
            "title": head.title,
            "approved": {
                "name": head.approved.name,
                "role": head.approved.role,
                "date": head.approved.date.isoformat(),
            },
        },
        "rules": len(proto.rules),
        "sources": len(proto.sources),
        "warnings": [f"no rule produces the contract's finding {c!r}" for c in missing_findings(proto)],
    }


def _fail(payload: dict[str, Any]) -> int:
    sys.stderr.write(json.dumps(payload, ensure_ascii=False) + "\n")
    return EXIT_BAD_INPUT


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `needlepoint` command; returns the exit status."""
    try:
        doc = run(sys.argv[1:] if argv is None else argv)
    except IntakeError as exc:
        return _fail(exc.as_dict())
    except ProtocolError as exc:
        return _fail(exc.as_dict())
    except (UsageError, PlanningError) as exc:
        return _fail({"message": exc.message, "extra": {"field": exc.field}})
    except PhotoError as exc:
        return _fail(exc.as_dict())
    except RecursionError:
        return _fail({"message": "the input is nested too deeply", "extra": {"field": "$"}})
    sys.stdout.write(json.dumps(doc, ensure_ascii=False, indent=2) + "\n")
    return 0


def entry() -> NoReturn:
    """Console-script wrapper: exit with main()'s status."""
    sys.exit(main())


if __name__ == "__main__":
    entry()
