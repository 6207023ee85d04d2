"""Where events and read models live, from the environment.

Embedded default: two SQLite files under EHC_DATA_DIR (default ./var), created on first use.
Production: EHC_STORE=postgres with the library's POSTGRES_* variables (see README).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from projections.files import private_file

POSTGRES_KEYS = (
    "POSTGRES_DBNAME", "POSTGRES_HOST", "POSTGRES_PORT", "POSTGRES_USER", "POSTGRES_PASSWORD",
    "POSTGRES_SCHEMA", "POSTGRES_POOL_SIZE", "POSTGRES_MAX_OVERFLOW", "POSTGRES_CONNECT_TIMEOUT",
)
POSTGRES_DEFAULTS = {
    "POSTGRES_DBNAME": "test",
    "POSTGRES_HOST": "127.0.0.1",
    "POSTGRES_PORT": "5432",
    "POSTGRES_USER": "postgres",
    "POSTGRES_PASSWORD": "",
}


@dataclass(frozen=True)
class StoreSettings:
    backend: str = "sqlite"  # sqlite | postgres
    data_dir: Path = Path("var")
    postgres: Mapping[str, str] = field(default_factory=dict)
    cipher_key: str | None = None

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None) -> StoreSettings:
        environ = os.environ if environ is None else environ
        backend = environ.get("EHC_STORE", "sqlite").lower()
        if backend not in ("sqlite", "postgres"):
            raise ValueError(f"EHC_STORE must be sqlite or postgres, not {backend!r}")
        postgres = {**POSTGRES_DEFAULTS, **{k: environ[k] for k in POSTGRES_KEYS if k in environ}}
        return cls(
            backend=backend,
            data_dir=Path(environ.get("EHC_DATA_DIR", "var")),
            postgres=postgres,
            cipher_key=environ.get("EHC_CIPHER_KEY") or None,
        )

    @property
    def events_path(self) -> Path:
        return self.data_dir / "events.sqlite"

    @property
    def read_models_path(self) -> Path:
        return self.data_dir / "read-models.sqlite"

    def application_env(self) -> dict[str, str]:
        """The eventsourcing library's own settings for the chosen store."""
        if self.backend == "postgres":
            env = {"PERSISTENCE_MODULE": "eventsourcing.postgres", **self.postgres}
        else:
            private_file(self.events_path)  # SQLite makes its -wal and -shm files alike
            private_file(Path(f"{self.events_path}.write-lock"))
            env = {"PERSISTENCE_MODULE": "eventsourcing.sqlite",
                   "SQLITE_DBNAME": str(self.events_path)}
        if self.cipher_key:
            env |= {"CIPHER_TOPIC": "eventsourcing.cipher:AESCipher",
                    "CIPHER_KEY": self.cipher_key}
        return env

    def postgres_conninfo(self) -> str:
        p = self.postgres
        parts = {"dbname": p["POSTGRES_DBNAME"], "host": p["POSTGRES_HOST"],
                 "port": p["POSTGRES_PORT"], "user": p["POSTGRES_USER"]}
        if p.get("POSTGRES_PASSWORD"):
            parts["password"] = p["POSTGRES_PASSWORD"]
        return " ".join(f"{k}={v}" for k, v in parts.items())
