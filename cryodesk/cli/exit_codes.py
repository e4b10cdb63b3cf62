"""Exit codes scripts can rely on (documented in the README)."""

from __future__ import annotations

OK = 0
ROWS_REJECTED = 1  # only with --strict: the import finished but some rows were rejected
USAGE = 2  # argparse's own code for a bad command line
INPUT_ERROR = 3  # an input file or argument is unusable
PROJECT_ERROR = 4  # the project cannot be opened or written
NOT_FOUND = 5  # nothing matched the identifier asked for
JOB_FAILED = 6
JOB_STOPPED = 7  # cancelled or paused
