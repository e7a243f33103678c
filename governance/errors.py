"""The domain's errors: one root, four families, specific errors carrying their ids."""

from __future__ import annotations


class GovernanceError(Exception):
    """Root of every error the domain raises on purpose."""

    code = "error"


class NotFound(GovernanceError):
    """Something named does not exist."""

    code = "not-found"


class Conflict(GovernanceError):
    """The request clashes with the current state."""

    code = "conflict"


class InvalidInput(GovernanceError):
    """The input is malformed or breaks a rule."""

    code = "invalid-input"


class PermissionDenied(GovernanceError):
    """The caller may not do this."""

    code = "permission-denied"


class Unauthenticated(PermissionDenied):
    """No usable credential came with the request."""

    code = "unauthenticated"


class ConfigurationError(GovernanceError):
    """A setting is missing or wrong; names the environment variable."""

    code = "configuration"

    def __init__(self, variable: str, problem: str) -> None:
        super().__init__(f"{variable}: {problem}")
        self.variable = variable


class TokenNotFound(NotFound):
    """No API token has that id."""

    code = "token-not-found"

    def __init__(self, token_id: int) -> None:
        super().__init__(f"no API token with id {token_id}")
        self.token_id = token_id


class UserNotFound(NotFound):
    """No user has that id or address."""

    code = "user-not-found"

    def __init__(self, user: int | str) -> None:
        super().__init__(f"no user {user!r}")
        self.user = user


class UserExists(Conflict):
    """An account with that address exists already."""

    code = "user-exists"

    def __init__(self, email: str) -> None:
        super().__init__(f"a user with the address {email!r} exists already")
        self.email = email


class LastAdmin(Conflict):
    """The change would leave no active administrator."""

    code = "last-admin"

    def __init__(self, user_id: int) -> None:
        super().__init__(f"user {user_id} is the last active admin; make another admin first")
        self.user_id = user_id


class GrantNotFound(NotFound):
    """No grant has that id (for this holder)."""

    code = "grant-not-found"

    def __init__(self, grant_id: int) -> None:
        super().__init__(f"no grant with id {grant_id}")
        self.grant_id = grant_id


class TagNotFound(NotFound):
    """No tag has that name."""

    code = "tag-not-found"

    def __init__(self, name: str) -> None:
        super().__init__(f"no tag {name!r}; PUT /api/v1/tags/{{tag}} makes one, and tagging makes it too")
        self.name = name


class TagFromFacet(Conflict):
    """The tag comes from a producer's OpenLineage ``tags`` facet, which only the producer changes."""

    code = "tag-from-facet"

    def __init__(self, name: str, subject: str) -> None:
        super().__init__(
            f"the tag {name!r} of {subject} comes from the tags facet its producer sends; "
            "only a new event without it removes it"
        )
        self.name = name
        self.subject = subject
