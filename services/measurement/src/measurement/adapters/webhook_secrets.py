"""Webhook signing secrets sealed at rest: the database holds only Fernet tokens.

Fernet (``cryptography``) is AES-128-CBC with an HMAC-SHA256 over the ciphertext, so a token
cannot be read or altered without the key, which comes from the settings and never from the
database. ``MultiFernet`` seals with the current key and opens with any listed one, so keys
rotate without losing subscriptions (:meth:`SecretBox.reseal` moves a token to the new key).
"""

from __future__ import annotations

from collections.abc import Sequence

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from measurement.domain.webhooks import SECRET_PREFIX


class SecretUnreadable(Exception):
    """A stored secret does not open with any configured key."""


class SecretBox:
    """Seals and opens webhook secrets with the configured keys (the first one seals)."""

    def __init__(self, key: str, previous: Sequence[str] = ()) -> None:
        self._fernet = MultiFernet([Fernet(k) for k in (key, *previous)])

    def seal(self, secret: str) -> str:
        """The token to store for ``secret``."""
        return self._fernet.encrypt(secret.encode()).decode()

    def open(self, stored: str) -> str:
        """The secret a stored token holds."""
        if is_plaintext(stored):
            # Written before secrets were sealed and not sealed yet (see seal_plaintext_secrets).
            return stored
        try:
            return self._fernet.decrypt(stored.encode()).decode()
        except InvalidToken:
            raise SecretUnreadable(
                "the subscription's secret does not open with the configured "
                "SVL_MEASUREMENT_WEBHOOK_SECRET_KEY or previous keys"
            ) from None

    def reseal(self, stored: str) -> str:
        """The token sealed with the current key (plaintext from before sealing, sealed)."""
        return self.seal(self.open(stored))


def is_plaintext(stored: str) -> bool:
    """A secret stored before sealing: it still has its readable prefix."""
    return stored.startswith(SECRET_PREFIX)
