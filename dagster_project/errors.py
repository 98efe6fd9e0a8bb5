"""The one error type a user sees: it says what is at fault and what to do, never a bare traceback."""


class ReconError(Exception):
    """A problem the user can fix: bad config, a missing folder, an unreadable warehouse."""
