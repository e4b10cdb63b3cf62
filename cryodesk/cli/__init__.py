"""Command-line entry points over the engine facade (no Qt except to launch the GUI)."""
