"""Settings: `base` holds what every deployment shares; `production` fails closed, `demo` is
the explicit local demo of `make run`, `test` is for the test suite."""
