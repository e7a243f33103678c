"""Passwords: argon2id hashes in the PHC format Flask-Security (through libpass) verifies.

Passwords are NFKD-normalized before hashing, as Flask-Security normalizes them at sign-in, so
a password set from the command line and one typed into the login form hash alike.
"""

from __future__ import annotations

import secrets
import unicodedata
from typing import Final

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from governance.errors import InvalidInput

MIN_PASSWORD_CHARS = 12
MAX_PASSWORD_CHARS = 256
NORMAL_FORM: Final = "NFKD"
_HASHER = PasswordHasher()


def normalized(password: str) -> str:
    """The password as it is hashed."""
    return unicodedata.normalize(NORMAL_FORM, password)


def check_password_rules(password: str) -> str:
    """The normalized password if it is long enough.

    Raises:
        InvalidInput: shorter than ``MIN_PASSWORD_CHARS`` or longer than ``MAX_PASSWORD_CHARS``.
    """
    text = normalized(password)
    if len(text) < MIN_PASSWORD_CHARS:
        raise InvalidInput(f"a password needs at least {MIN_PASSWORD_CHARS} characters")
    if len(text) > MAX_PASSWORD_CHARS:
        raise InvalidInput(f"a password may have at most {MAX_PASSWORD_CHARS} characters")
    return text


def hash_password(password: str) -> str:
    """The argon2id hash of an acceptable password."""
    return _HASHER.hash(check_password_rules(password))


def verify_password(password_hash: str, password: str) -> bool:
    """True when ``password`` is the one hashed."""
    try:
        return _HASHER.verify(password_hash, normalized(password))
    except (VerificationError, InvalidHashError):
        return False


def one_time_password() -> str:
    """A random password to be changed at first sign-in (about 120 bits).

    >>> len(one_time_password()) >= MIN_PASSWORD_CHARS
    True
    """
    return secrets.token_urlsafe(15)
