"""Domain errors: raised by services, shown by pages in the user's language via their i18n key."""
from __future__ import annotations


class DomainError(Exception):
    """An error a user can act on; `key` names its message in lib.i18n, `params` fill it."""

    def __init__(self, key: str, **params: object) -> None:
        super().__init__(key, params)
        self.key = key
        self.params = params


class InvalidTransition(DomainError):
    pass


class NotFound(DomainError):
    pass


class Conflict(DomainError):
    """Someone else saved the record since it was opened (optimistic lock)."""


class ValidationFailed(DomainError):
    pass


class LoginRefused(DomainError):
    pass
