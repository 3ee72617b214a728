"""A class's rules: its code, the teacher's key and how it is kept, students' names, and the limits.

A class has two secrets of different weight. Its code is in the student link, so every student (and
anyone they forward it to) knows it; it only lets a person join under a name. The teacher's key is
in the teacher link alone: 32 random bytes from `secrets`, shown once when the class starts, and
stored only as its SHA-256 digest. A slow password hash is for secrets a person chose; one of 256
random bits cannot be guessed from its digest, so a plain digest keeps a stolen store from opening
any teacher page. Digests are compared in constant time (`hmac.compare_digest`), so the time a
refusal takes says nothing about how much of a guess was right. Each student also gets a token of
their own (in their link, digested likewise), so a reload or a new tab keeps their name.

The limits (classes per server, students per class, runs per student, a class's lifetime) are
environment variables read through core/settings (README, "Environment variables").
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import unicodedata

from core.settings import environment

# No 0/o, 1/l/i: a code read aloud or copied from a projector is typed right.
CODE_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
CODE_LENGTH = 10
CODE = re.compile(rf"[{CODE_ALPHABET}]{{{CODE_LENGTH}}}")
# token_urlsafe(32) is 43 characters of [A-Za-z0-9_-].
SECRET = re.compile(r"[A-Za-z0-9_-]{43}")
NAME_LENGTH = 30
# Control, format (bidi overrides, zero-width joiners), surrogate, private-use and unassigned
# characters: a name with them could read as another student's, or reorder the teacher's page.
_HIDDEN_CATEGORIES = {"Cc", "Cf", "Cs", "Co", "Cn"}


class ClassError(ValueError):
    """What a teacher or student asked that the class cannot do; the message says why, in plain words."""


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def new_secret() -> str:
    """A teacher key or a student token: 32 random bytes, URL-safe."""
    return secrets.token_urlsafe(32)


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()


def matches(secret: object, stored_digest: str) -> bool:
    """Whether `secret` is the one whose digest is stored; constant time in the secret's content."""
    if not isinstance(secret, str) or not SECRET.fullmatch(secret):
        # Still compare, so a malformed guess takes as long as a well-formed wrong one.
        hmac.compare_digest(digest("x" * 43), stored_digest)
        return False
    return hmac.compare_digest(digest(secret), stored_digest)


def check_code(raw: object) -> str | None:
    """A class code from a link, or None when it cannot be one."""
    text = str(raw).strip().lower() if raw is not None else ""
    return text if CODE.fullmatch(text) else None


def clean_name(raw: object) -> str:
    """A student's display name as shown: one line of visible text, at most NAME_LENGTH characters;
    ClassError, saying what to change, for anything else."""
    text = unicodedata.normalize("NFC", str(raw or ""))
    if any(unicodedata.category(character) in _HIDDEN_CATEGORIES for character in text):
        raise ClassError("A name may not hold control or invisible characters; type it with letters, digits "
                         "and spaces.")
    text = " ".join(text.split())
    if not text:
        raise ClassError("Type a name to join the class.")
    if len(text) > NAME_LENGTH:
        raise ClassError(f"A name has at most {NAME_LENGTH} characters; this one has {len(text)}.")
    return text


def name_key(name: str) -> str:
    """What makes two names the same name in a class: "Ada", "ADA" and "Ａｄａ" are one student."""
    return unicodedata.normalize("NFKC", name).casefold()


def max_classes() -> int:
    return environment.read("RNN_PLAYGROUND_MAX_CLASSES")


def max_students() -> int:
    return environment.read("RNN_PLAYGROUND_CLASS_STUDENTS")


def max_runs() -> int:
    return environment.read("RNN_PLAYGROUND_CLASS_RUNS")


def lifetime_seconds() -> float:
    return environment.read("RNN_PLAYGROUND_CLASS_HOURS") * 3600.0
