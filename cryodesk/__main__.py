"""``python -m cryodesk`` and the frozen app's entry point: no arguments opens the GUI.

``--self-test [--only a,b] [--json FILE]`` runs the headless checks of :mod:`cryodesk.selftest` (the
installer build and CI run it on the frozen bundle).
"""

from __future__ import annotations

import multiprocessing
import sys


def main() -> int:
    multiprocessing.freeze_support()  # worker processes of a frozen app re-enter here
    argv = sys.argv[1:]
    if argv[:1] == ["--self-test"]:
        from cryodesk.selftest import main as self_test

        return self_test(argv[1:])
    from cryodesk.cli.main import main as cli_main

    return cli_main(argv or ["gui"])


if __name__ == "__main__":
    sys.exit(main())
