"""What sets an imported run apart from one trained here: its own id, and the server's rules for
taking bundles in at all (an off switch and a quota).

A bundle is a claim anyone can write, so it never takes the id a run of its settings trained here
would get: a link to those settings keeps training (or showing) the local run, and an import can
neither pose as one nor replace one. Its id hashes the bundle's whole content, so importing the
same bundle twice keeps one copy, and any edit makes another run.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from typing import Any

from core.settings import environment
from core.store.bundles import BundleError


def imported_id(params: dict[str, Any], code_version: str, status: str, message: str,
                histories: dict[str, dict[str, Any]]) -> str:
    """16 hex characters naming an imported run by all it holds; "imported" is hashed in first, so
    it differs from the id of a trained run (which hashes [params, code version]) with the same settings."""
    content = ["imported", params, code_version, status, message, histories]
    text = json.dumps(content, sort_keys=True, separators=(",", ":"), allow_nan=False)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def check_allowed(connection: sqlite3.Connection, identifier: str) -> bool:
    """Whether the run `identifier` still needs storing (False: this very bundle is already here);
    BundleError when this server takes no imports, when the id is a run trained here, or when the
    store already holds RNN_PLAYGROUND_MAX_IMPORTS imported runs. Read inside the import's write
    transaction, so two imports cannot both take the last place."""
    if environment.read("RNN_PLAYGROUND_IMPORTS") == "off":
        raise BundleError("This server does not import run bundles (RNN_PLAYGROUND_IMPORTS=off); train the "
                          "run's settings on its lab page instead.")
    found = connection.execute("SELECT run_id IN (SELECT run_id FROM imported) FROM runs WHERE run_id = ?",
                               (identifier,)).fetchone()
    if found is not None:
        if not found[0]:
            raise BundleError(f"The bundle's id {identifier} is a run trained here, which an import never "
                              "replaces.")
        return False
    quota = environment.read("RNN_PLAYGROUND_MAX_IMPORTS")
    count = connection.execute("SELECT COUNT(*) FROM imported").fetchone()[0]
    if count >= quota:
        raise BundleError(f"This server already keeps {count:,} imported runs, its limit "
                          "(RNN_PLAYGROUND_MAX_IMPORTS); nothing was imported. Ask its operator to remove "
                          "old imports or raise the limit.")
    return True
