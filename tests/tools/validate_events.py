#!/usr/bin/env python3
"""Validate JSONL files of gateway.event/1 against docs/event.schema.json.

Usage: validate_events.py [--schema PATH] FILE...

Every non-blank line of every FILE must be one event object valid under the
schema. Beyond the schema, two checks JSON Schema cannot express:
  - "id" equals "<network>:<native_id>";
  - RFC 3339 time stamps name a real instant (no 2026-02-30), checked with
    the standard library since jsonschema's own date-time check needs an
    optional package.

Prints "N events valid" and exits 0, or prints the first errors as
FILE:LINE: PATH: MESSAGE and exits 1. Exits 2 on a usage or I/O error.
Needs only the standard library and python3-jsonschema (Debian's 4.10).
"""

import datetime
import json
import re
import sys
from pathlib import Path

import jsonschema

DEFAULT_SCHEMA = Path(__file__).resolve().parents[2] / "docs" / "event.schema.json"
MAX_ERRORS = 20

RFC3339 = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$"
)


def is_rfc3339(value):
    """True when value is an RFC 3339 date-time naming a real instant."""
    if not isinstance(value, str):
        return True  # the schema's "type" reports this one
    match = RFC3339.match(value)
    if not match:
        return False
    year, month, day, hour, minute, second = (int(g) for g in match.groups()[:6])
    try:
        # A leap second (:60) is valid RFC 3339 but not a datetime second.
        datetime.datetime(year, month, day, hour, minute, min(second, 59))
    except ValueError:
        return False
    offset = match.group(8)
    if offset not in ("Z", "z") and (int(offset[1:3]) > 23 or int(offset[4:6]) > 59):
        return False
    return second <= 60


def make_validator(schema_path):
    with open(schema_path, encoding="utf-8") as f:
        schema = json.load(f)
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    checker = jsonschema.FormatChecker()
    checker.checks("date-time")(is_rfc3339)
    return cls(schema, format_checker=checker)


def error_path(error):
    path = "/".join(str(p) for p in error.absolute_path)
    return "/" + path


def error_message(validator, error):
    """jsonschema's message, made readable where it would dump the event or
    hide which rule failed."""
    if error.validator == "anyOf" and error.context:
        message = "; ".join(sorted({sub.message for sub in error.context}))
    elif error.validator == "not":
        message = f"must not have {error.validator_value}"
    else:
        message = error.message
    # A failure inside a conditional of the top-level allOf: name the rule.
    path = list(error.schema_path)
    if len(path) >= 2 and path[0] == "allOf":
        rule = validator.schema["allOf"][path[1]].get("description")
        if rule:
            message += f" ({rule})"
    return message


def check_event(validator, event):
    """Yield (path, message) for each problem of one decoded event."""
    errors = sorted(validator.iter_errors(event), key=lambda e: list(e.absolute_path))
    for error in errors:
        yield error_path(error), error_message(validator, error)
    if isinstance(event, dict):
        ident, network, native = event.get("id"), event.get("network"), event.get("native_id")
        if all(isinstance(v, str) for v in (ident, network, native)):
            if ident != f"{network}:{native}":
                yield "/id", f"{ident!r} is not network:native_id ({network}:{native})"


def main(argv):
    args = argv[1:]
    schema_path = DEFAULT_SCHEMA
    if len(args) >= 2 and args[0] == "--schema":
        schema_path = Path(args[1])
        args = args[2:]
    if not args or any(a.startswith("-") for a in args):
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    try:
        validator = make_validator(schema_path)
    except (OSError, ValueError, jsonschema.SchemaError) as exc:
        print(f"{schema_path}: cannot load the schema: {exc}", file=sys.stderr)
        return 2

    total = invalid = shown = 0
    for name in args:
        try:
            f = open(name, encoding="utf-8")
        except OSError as exc:
            print(f"{name}: {exc.strerror}", file=sys.stderr)
            return 2
        with f:
            for lineno, line in enumerate(f, start=1):
                if not line.strip():
                    continue
                total += 1
                try:
                    event = json.loads(line)
                    problems = list(check_event(validator, event))
                except ValueError as exc:
                    problems = [("/", f"not JSON: {exc}")]
                if not problems:
                    continue
                invalid += 1
                for path, message in problems:
                    if shown < MAX_ERRORS:
                        print(f"{name}:{lineno}: {path}: {message}")
                    shown += 1
    if invalid:
        if shown > MAX_ERRORS:
            print(f"... and {shown - MAX_ERRORS} more errors")
        print(f"{invalid} of {total} events invalid")
        return 1
    print(f"{total} events valid")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
