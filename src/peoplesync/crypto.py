"""Credentials at rest: Fernet (AES-128-CBC + HMAC-SHA256) with a key from the settings.

In production the key comes from `PEOPLESYNC_SECRET_KEY`. In the embedded default, a key file is
created on first use (mode 0600) beside the SQLite database (`config.key_file`).
"""

from __future__ import annotations

import os
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken

from peoplesync.config import Settings, key_file
from peoplesync.errors import ConfigError


class SecretBox:
    def __init__(self, key: bytes) -> None:
        try:
            self._fernet = Fernet(key)
        except (ValueError, TypeError):
            raise ConfigError(
                "PEOPLESYNC_SECRET_KEY is not a valid key.",
                hint="Generate one with: python -c 'from cryptography.fernet import Fernet; "
                "print(Fernet.generate_key().decode())'",
            ) from None

    def seal(self, secret: str) -> bytes:
        return self._fernet.encrypt(secret.encode("utf-8"))

    def open(self, sealed: bytes) -> str:
        try:
            return self._fernet.decrypt(sealed).decode("utf-8")
        except InvalidToken:
            raise ConfigError(
                "A stored credential cannot be decrypted with the current secret key.",
                hint="Restore the key it was sealed with, or reconnect the HRIS.",
            ) from None


def secret_box(settings: Settings) -> SecretBox:
    if settings.secret_key is not None:
        return SecretBox(settings.secret_key.get_secret_value().encode())
    return SecretBox(_key_file(key_file(settings)))


def _key_file(path: Path) -> bytes:
    if path.exists():
        return path.read_bytes().strip()
    key = Fernet.generate_key()
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(key)
    return key
