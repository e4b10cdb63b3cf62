"""Exception types that cross layer boundaries.

Functions that parse user data do not raise these for a bad row; they return a result object
with the reason. These are for conditions the caller cannot continue past (an unreadable project,
a service that refuses us, a file that is not what it claims to be).
"""

from __future__ import annotations


class CryoDeskError(Exception):
    """Base class of every error CryoDesk raises on purpose; its message is meant for the user."""


class InputError(CryoDeskError):
    """A whole input (file, argument) is unusable, e.g. no structure column can be found."""


class ProjectError(CryoDeskError):
    """A project file cannot be opened, is too new, or is read-only when a write was asked for."""


class SourceError(CryoDeskError):
    """An external service failed in a way retries could not fix."""
