"""The one assertion of the Python client suites: prints "ok LABEL", or
prints what differs and exits non-zero."""

import sys


def check(label, got, want):
    if got != want:
        print(f"FAIL {label}: got {got!r}, want {want!r}", file=sys.stderr)
        sys.exit(1)
    print(f"ok {label}")
