"""``python -m cryodesk`` and the frozen app's entry point: no arguments opens the GUI."""

from __future__ import annotations

import multiprocessing
import sys


def main() -> int:
    multiprocessing.freeze_support()  # worker processes of a frozen app re-enter here
    from cryodesk.cli.main import main as cli_main

    return cli_main(sys.argv[1:] or ["gui"])


if __name__ == "__main__":
    sys.exit(main())
