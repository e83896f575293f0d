"""OAuth2 for the fake: a JWT-bearer token endpoint and bearer-token checks on every API call.

google-auth's service-account credentials sign a JWT with the key file's private key and post it
to ``token_uri``. The fake verifies that signature against the public half of the key it generated,
checks ``aud`` and ``exp``, and hands out an opaque access token. API calls then need
``Authorization: Bearer <token>``; a missing, unknown or expired token is a 401 in Google's shape,
which is what makes google-auth refresh and retry.
"""

from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from google.auth import exceptions as ga_exceptions
from google.auth import jwt

from .errors import ApiError

JWT_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"
# google-auth always signs service-account grants for Google's canonical token endpoint, whatever
# token_uri it posts to; Google's endpoint accepts these audiences, and so does the fake.
GOOGLE_AUDIENCES = ("https://oauth2.googleapis.com/token", "https://www.googleapis.com/oauth2/v4/token",
                    "https://accounts.google.com/o/oauth2/token")
UNAUTHENTICATED_MESSAGE = (
    "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or "
    "other valid authentication credential. See "
    "https://developers.google.com/identity/sign-in/web/devconsole-project."
)


@dataclass
class ServiceAccountKey:
    """One generated key pair and the identity it signs for."""

    email: str
    key_id: str
    private_pem: str
    public_pem: str


@dataclass
class TokenIssuer:
    """Keys, issued tokens and their lifetime. Thread-safe on its own lock."""

    token_uri: str = ""
    lifetime: int = 3600
    keys: dict[str, ServiceAccountKey] = field(default_factory=dict)  # key_id -> key
    tokens: dict[str, tuple[str, float]] = field(default_factory=dict)  # token -> (email, expires_at)
    issued: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _rsa: Any = None

    def new_key(self, email: str) -> ServiceAccountKey:
        """A key for ``email``. The RSA key is generated once per server (cheap startup) and reused."""
        with self._lock:
            if self._rsa is None:
                self._rsa = rsa.generate_private_key(public_exponent=65537, key_size=2048)
            private_pem = self._rsa.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            ).decode()
            public_pem = self._rsa.public_key().public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            ).decode()
            key = ServiceAccountKey(email, secrets.token_hex(20), private_pem, public_pem)
            self.keys[key.key_id] = key
            return key

    def exchange(self, form: dict[str, str]) -> tuple[int, dict[str, Any]]:
        """POST /token: verify the signed assertion, return (status, JSON body) as Google's endpoint does."""
        if form.get("grant_type") != JWT_GRANT:
            return 400, {"error": "unsupported_grant_type", "error_description": "Invalid grant_type: " + form.get("grant_type", "")}
        assertion = form.get("assertion", "")
        try:
            header = jwt.decode_header(assertion)
            unverified = jwt.decode(assertion, verify=False)
        except (ValueError, ga_exceptions.GoogleAuthError):
            return 400, {"error": "invalid_grant", "error_description": "Invalid JWT Signature."}
        key = self.keys.get(header.get("kid", ""))
        if key is None or unverified.get("iss") != key.email:
            return 400, {"error": "invalid_grant", "error_description": "Invalid grant: account not found"}
        try:
            claims = jwt.decode(assertion, certs=key.public_pem, audience=[self.token_uri, *GOOGLE_AUDIENCES], clock_skew_in_seconds=0)
        except (ValueError, ga_exceptions.GoogleAuthError) as exc:
            text = str(exc)
            if "expired" in text.lower() or "too early" in text.lower():
                return 400, {"error": "invalid_grant", "error_description": "Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. Check your iat and exp values in the JWT claim."}
            return 400, {"error": "invalid_grant", "error_description": "Invalid JWT Signature."}
        if claims["exp"] - claims["iat"] > 3600:
            return 400, {"error": "invalid_grant", "error_description": "Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. Check your iat and exp values in the JWT claim."}
        token = "ya29.fake-" + secrets.token_urlsafe(32)
        with self._lock:
            self.tokens[token] = (key.email, time.time() + self.lifetime)
            self.issued += 1
        return 200, {"access_token": token, "expires_in": self.lifetime, "token_type": "Bearer"}

    def caller(self, authorization: str | None) -> str:
        """The email behind an ``Authorization`` header, or a 401 ApiError."""
        if not authorization or not authorization.startswith("Bearer "):
            raise ApiError(401, "Request is missing required authentication credential. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.")
        token = authorization[len("Bearer "):].strip()
        with self._lock:
            entry = self.tokens.get(token)
        if entry is None or entry[1] <= time.time():
            raise ApiError(401, UNAUTHENTICATED_MESSAGE)
        return entry[0]

    def issue_direct(self, email: str) -> str:
        """A token without the JWT dance, for tests that replay recorded traffic."""
        token = "ya29.fake-" + secrets.token_urlsafe(32)
        with self._lock:
            self.tokens[token] = (email, time.time() + self.lifetime)
        return token

    def expire_all(self) -> None:
        with self._lock:
            self.tokens = {t: (e, 0.0) for t, (e, _) in self.tokens.items()}
