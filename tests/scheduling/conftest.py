"""The scheduling core's tests: small clinics built in `scheduling_helpers`, checked against
an independent rule checker. No Django, no database."""
