"""One visitor cannot take the server's upload space from all, nor keep uploaded bytes in memory.

Each browser session keeps files within its share of the quota (RNN_PLAYGROUND_UPLOAD_SESSION_MB):
one session once filled the whole 200 MB quota in 141 s, and every upload was refused for 30 days.
Once a page has kept its own copy of a file, Streamlit's copy of the upload is let go of, and the
uploads of sessions Streamlit no longer knows are let go of at the next page view.
"""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from streamlit.runtime import Runtime
from streamlit.runtime.memory_uploaded_file_manager import MemoryUploadedFileManager
from streamlit.runtime.uploaded_file_manager import UploadedFile, UploadedFileRec
from test_pages import open_page
from test_upload_checks import table

from core.data import uploads
from core.tasks.base import DataError
from ui import metrics, upload_memory

SHARE = 12_000
PARAMS = {"source": "upload", "vocab_size": "100", "train_size": "500"}


@pytest.fixture
def own_uploads(tmp_path, monkeypatch):
    """A private uploads folder (next to a private store) and a share of 12 kB per visitor."""
    monkeypatch.setenv("RNN_PLAYGROUND_DB", str(tmp_path / "runs.sqlite"))
    monkeypatch.setenv("RNN_PLAYGROUND_UPLOAD_SESSION_MB", str(SHARE / 2 ** 20))
    return tmp_path / "uploads"


def test_a_visitor_past_their_share_is_refused_while_another_still_uploads(own_uploads):
    first, second, third = b"a" * 5_000, b"b" * 5_000, b"c" * 5_000
    mine = [uploads.save(first, "csv"), ]
    mine.append(uploads.save(second, "csv", held=mine))
    with pytest.raises(DataError, match=r"Each visitor may keep 0 MB.*yours already take 0\.0 MB") as refused:
        uploads.save(third, "csv", held=mine)
    assert "not kept" in str(refused.value)
    assert not uploads.exists(uploads.key_of(third, "csv"))
    assert uploads.save(third, "csv", held=[]) == uploads.key_of(third, "csv")  # another visitor
    assert uploads.save(first, "csv", held=mine) == mine[0]  # a file already kept costs nothing


def keep_table(app, content: bytes, name: str):
    app.file_uploader(key="sentiment_file").set_value((name, content, "text/csv")).run()
    [use] = [button for button in app.button if button.key == "use_table"]
    use.click().run()
    assert not app.exception, app.exception
    return app


def test_the_page_refuses_a_visitors_table_past_their_share_and_not_anothers(own_uploads):
    # Each table's kept copy (its labels spelt out in full) takes about 5.2 kB: two fit in 12 kB, three do not.
    one, two = table(150), table(151)
    visitor = keep_table(open_page("sentiment", PARAMS), one, "one.csv")
    first = visitor.query_params["upload"]
    keep_table(visitor, two, "two.csv")
    second = visitor.query_params["upload"]
    assert first != second and uploads.exists(first) and uploads.exists(second) and not visitor.error
    keep_table(visitor, table(152), "three.csv")
    [refusal] = [box.value for box in visitor.error]
    assert "Each visitor may keep 0 MB" in refusal and "not kept" in refusal
    assert visitor.query_params["upload"] == second  # still the last file it kept
    other = keep_table(open_page("sentiment", PARAMS), table(152), "three.csv")
    assert not other.error and other.query_params["upload"] not in (first, second)
    assert uploads.exists(other.query_params["upload"])


def test_a_kept_table_is_let_go_of_by_the_upload_box(own_uploads, monkeypatch):
    released = []
    monkeypatch.setattr(upload_memory, "release", released.append)
    content = table(150)
    keep_table(open_page("sentiment", PARAMS), content, "one.csv")
    [uploaded] = released  # the file the upload box held, once kept
    assert uploaded.getvalue() == content


def test_releasing_an_upload_drops_its_bytes_from_streamlits_memory(monkeypatch):
    manager = MemoryUploadedFileManager("/upload")
    record = UploadedFileRec(file_id="kept", name="x.csv", type="text/csv", data=b"x" * 1_000)
    manager.add_file("visitor", record)
    manager.add_file("visitor", UploadedFileRec(file_id="other", name="y.csv", type="text/csv", data=b"y" * 10))
    monkeypatch.setattr(upload_memory, "get_script_run_ctx",
                        lambda: SimpleNamespace(uploaded_file_mgr=manager, session_id="visitor"))
    upload_memory.release(UploadedFile(record, None))
    assert manager.get_files("visitor", ["kept"]) == [] and len(manager.get_files("visitor", ["other"])) == 1
    [stat] = manager.get_stats()["cache_memory_bytes"]
    assert stat.byte_length == 10


def test_uploads_of_sessions_streamlit_no_longer_knows_are_let_go_of(monkeypatch):
    manager = MemoryUploadedFileManager("/upload")
    for session in ("open", "reconnecting", "closed"):
        manager.add_file(session, UploadedFileRec(file_id=f"{session}-file", name="x.csv", type="text/csv",
                                                  data=b"x" * 1_000))
    known = {"open", "reconnecting"}
    sessions = SimpleNamespace(get_session_info=lambda session_id: object() if session_id in known else None)
    runtime = SimpleNamespace(uploaded_file_mgr=manager, _session_mgr=sessions)
    monkeypatch.setattr(Runtime, "exists", classmethod(lambda cls: True))
    monkeypatch.setattr(Runtime, "instance", classmethod(lambda cls: runtime))
    assert upload_memory.release_closed_sessions() == ["closed"]
    assert manager.get_files("closed", ["closed-file"]) == []
    assert [record.file_id for record in manager.get_files("open", ["open-file"])] == ["open-file"]
    [stat] = manager.get_stats()["cache_memory_bytes"]
    assert stat.byte_length == 2_000


def test_the_metrics_endpoint_reports_nothing_about_visitors():
    # Streamlit's own statistics manager with the providers its runtime registers (runtime.py).
    from streamlit.runtime.caching import get_data_cache_stats_provider, get_resource_cache_stats_provider
    from streamlit.runtime.stats import StatsManager

    manager, files = StatsManager(), MemoryUploadedFileManager("/upload")
    for provider in (get_data_cache_stats_provider(), get_resource_cache_stats_provider(), files):
        manager.register_provider(provider)
    files.add_file("visitor", UploadedFileRec(file_id="f", name="x.csv", type="text/csv", data=b"x" * 5_000))
    assert manager.get_stats()["cache_memory_bytes"]  # what a stranger read: 5,000 uploaded bytes
    assert "cache_memory_bytes" in metrics.withdraw(SimpleNamespace(stats_mgr=manager))
    assert manager.get_stats() == {} and manager.registered_families() == []
