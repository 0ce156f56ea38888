"""Domain rules, called by views and CLI alike; they never commit, the caller does."""


class RuleError(Exception):
    """A refused action, with a message fit to show the person who asked for it."""
