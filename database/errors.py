"""Errors a client can act on, raised by the rules of stored records (not found, conflict, a
cursor this system did not issue). Each carries the HTTP status the API answers with, so that a
rule shared by the API and the command line refuses with the same words in both.
"""

from __future__ import annotations

from typing import ClassVar


class DomainError(Exception):
    """An error a client can act on; carries its HTTP status. Routes list theirs in
    ``responses=`` through :func:`error_responses` so that the OpenAPI document is truthful."""

    status_code: ClassVar[int] = 400
    description: ClassVar[str] = "Bad request"

    def __init__(self, detail: str, *, headers: dict[str, str] | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.headers = headers


class NotFound(DomainError):
    status_code = 404
    description = "Not found"


class Conflict(DomainError):
    status_code = 409
    description = "Conflict with the current state"


class InvalidCursor(DomainError):
    status_code = 400
    description = "The cursor is not one this API issued"
