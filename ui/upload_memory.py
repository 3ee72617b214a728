"""Uploaded files' bytes, let go of once the page no longer needs them.

Streamlit keeps every uploaded file's bytes in the server's memory (its MemoryUploadedFileManager)
until the session that uploaded it is shut down, and a closed tab's session is not shut down: it is
kept for a reconnect (`server.disconnectedSessionTTL`) in a cache that, when the time is up, drops
the session without shutting it down, so its files stayed in memory for good (176 MB 13 minutes
after ten sessions closed). So a page lets go of a file as soon as it has kept its own copy
(`release`), and every page view lets go of the files of sessions Streamlit no longer knows
(`release_closed_sessions`).

This reaches into Streamlit's runtime (its session manager and the file manager's table): streamlit
is pinned, and tests/test_upload_memory.py fails if a new version moves them.
"""

from __future__ import annotations

import ctypes
import logging
from typing import Any

from streamlit.runtime import Runtime
from streamlit.runtime.scriptrunner import get_script_run_ctx

logger = logging.getLogger(__name__)


def release(uploaded: Any) -> None:
    """Drop an uploaded file's bytes from this session: the page has kept its own copy. The upload
    box then reads as empty, and the page shows the kept copy instead."""
    context = get_script_run_ctx()
    if context is None or uploaded is None:
        return
    context.uploaded_file_mgr.remove_file(context.session_id, uploaded.file_id)
    give_back_freed_memory()


def give_back_freed_memory() -> None:
    """Ask glibc to return freed heap pages to the system. After a freed block as large as an upload,
    glibc serves the next ones from its heap rather than fresh mappings, and keeps that heap when
    they are freed, so without this the server's resident memory never shrank (elsewhere: no-op)."""
    try:
        ctypes.CDLL(None).malloc_trim(0)
    except (OSError, AttributeError):
        pass


def release_closed_sessions() -> list[str]:
    """Drop the uploaded files of every session that is neither open nor kept for a reconnect;
    the ids of those sessions."""
    if not Runtime.exists():
        return []
    runtime = Runtime.instance()
    manager, sessions = runtime.uploaded_file_mgr, getattr(runtime, "_session_mgr", None)
    if sessions is None:
        return []  # a test's stand-in runtime (AppTest), which keeps no sessions
    table, lock = getattr(manager, "file_storage", None), getattr(manager, "_lock", None)
    if not isinstance(table, dict) or lock is None:
        logger.warning("Streamlit's uploaded file manager has changed; closed sessions' uploads are not released.")
        return []
    with lock:
        holders = list(table)
    # get_session_info answers for open sessions and those kept for a reconnect, None for the rest.
    closed = [session_id for session_id in holders if sessions.get_session_info(session_id) is None]
    for session_id in closed:
        manager.remove_session_files(session_id)
    if closed:
        give_back_freed_memory()
    return closed
