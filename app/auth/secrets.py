"""API token secrets: generation, checksum, digest. Pure functions, no database.

A secret is ``akh_`` + 32 random base62 characters + a 6-character base62 CRC-32 of
them (the scheme GitHub uses). The fixed prefix lets secret scanners find leaked tokens;
the checksum lets the API refuse a mistyped or made-up token without touching the
database. Only a SHA-256 digest is stored: the secret has ~190 bits of entropy, so a
slow password hash would buy nothing.
"""

import hashlib
import hmac
import re
import secrets
import zlib

SECRET_PREFIX = "akh_"
RANDOM_LENGTH = 32
CHECKSUM_LENGTH = 6
LOOKUP_PREFIX_LENGTH = 8
BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_SHAPE = re.compile(rf"{SECRET_PREFIX}[0-9A-Za-z]{{{RANDOM_LENGTH + CHECKSUM_LENGTH}}}")


def _base62(number: int, width: int) -> str:
    digits = []
    for _ in range(width):
        number, digit = divmod(number, 62)
        digits.append(BASE62[digit])
    return "".join(reversed(digits))


def _checksum(random_part: str) -> str:
    return _base62(zlib.crc32(random_part.encode("ascii")), CHECKSUM_LENGTH)


def generate_secret() -> str:
    random_part = "".join(secrets.choice(BASE62) for _ in range(RANDOM_LENGTH))
    return f"{SECRET_PREFIX}{random_part}{_checksum(random_part)}"


def is_well_formed(secret: str) -> bool:
    """The shape and checksum are right: the token may exist (checked without the database)."""
    if not _SHAPE.fullmatch(secret):
        return False
    body = secret[len(SECRET_PREFIX) :]
    random_part, checksum = body[:RANDOM_LENGTH], body[RANDOM_LENGTH:]
    return hmac.compare_digest(checksum, _checksum(random_part))


def lookup_prefix(secret: str) -> str:
    """The public part stored beside the digest, to find the row and to show in lists."""
    return secret[len(SECRET_PREFIX) : len(SECRET_PREFIX) + LOOKUP_PREFIX_LENGTH]


def digest(secret: str) -> str:
    """The SHA-256 of a secret, as stored in place of it (UTF-8: a secret sent in a URL
    may hold any character, and names nothing then)."""
    return hashlib.sha256(secret.encode()).hexdigest()


def matches(secret: str, stored_digest: str) -> bool:
    return hmac.compare_digest(digest(secret), stored_digest)
