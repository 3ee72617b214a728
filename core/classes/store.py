"""Classes, their students and the runs each student trained, in the run store's SQLite file.

The tables (core/store/sqlite_file.py, schema 3) sit beside the runs: a class row holds its code,
the digest of its teacher key and its times; a student row the name as shown, the key that makes
names unique, and the digest of the student's own token; a class run row ties a student to a run
id (and the job that trains it); a class may name the guided lesson it started on, and a student's
step row says which step of a guided lesson they are at. A run itself is never changed, so its id,
its link and the golden runs stay as they are, and deleting a class removes its names and tags, not the runs.

Every method that reads a class first removes the classes past their expiry time, so an expired
class and its names are gone for every reader, not only hidden.
"""

from __future__ import annotations

import sqlite3
import time
from dataclasses import dataclass

from core.classes import rules
from core.classes.rules import ClassError
from core.store.runs import RunStore


@dataclass(frozen=True)
class ClassInfo:
    code: str
    created: float
    expires: float
    closed: float | None

    @property
    def is_open(self) -> bool:
        return self.closed is None


@dataclass(frozen=True)
class Student:
    code: str
    name: str
    name_key: str
    joined: float


@dataclass(frozen=True)
class ClassRun:
    name_key: str
    run_id: str
    job_id: str
    submitted: float


CLOSED = "This class has been closed by its teacher, so its link no longer works."


class ClassStore:
    """The classes kept in one run store's file; as safe to share between threads as the store."""

    def __init__(self, runs: RunStore) -> None:
        self.runs = runs

    def create(self, now: float | None = None, lesson: str | None = None) -> tuple[ClassInfo, str]:
        """A new open class and its teacher key (the only time the key exists outside its digest),
        started on a guided lesson if one is named; ClassError when the server holds as many classes as it may."""
        now = time.time() if now is None else now
        key = rules.new_secret()
        with self.runs.transaction() as connection:
            _purge(connection, now)
            count = connection.execute("SELECT COUNT(*) FROM classes").fetchone()[0]
            if count >= rules.max_classes():
                raise ClassError(f"This server already holds {count} classes, as many as it may "
                                 "(RNN_PLAYGROUND_MAX_CLASSES); a class can start when another is deleted or expires.")
            info = ClassInfo(rules.new_code(), now, now + rules.lifetime_seconds(), None)
            connection.execute("INSERT INTO classes (code, key_digest, created, expires, closed) VALUES (?,?,?,?,NULL)",
                               (info.code, rules.digest(key), info.created, info.expires))
            if lesson:
                connection.execute("INSERT INTO class_lessons (code, lesson) VALUES (?,?)", (info.code, lesson))
        return info, key

    def lesson(self, code: str) -> str | None:
        """The guided lesson the class started on, if any."""
        with self.runs.connect() as connection:
            row = connection.execute("SELECT lesson FROM class_lessons WHERE code = ?", (code,)).fetchone()
        return row[0] if row else None

    def record_step(self, student: Student, lesson: str, step: int, now: float | None = None) -> None:
        """The student is now at `step` of the guided lesson `lesson` (their latest one replaces it)."""
        with self.runs.transaction() as connection:
            if connection.execute("SELECT 1 FROM class_students WHERE code = ? AND name_key = ?",
                                  (student.code, student.name_key)).fetchone() is None:
                return  # the class or the name is gone: nothing to show a teacher
            connection.execute("INSERT INTO class_steps (code, name_key, lesson, step, updated) VALUES (?,?,?,?,?)"
                               " ON CONFLICT (code, name_key) DO UPDATE SET lesson=excluded.lesson,"
                               " step=excluded.step, updated=excluded.updated",
                               (student.code, student.name_key, lesson, step, time.time() if now is None else now))

    def steps(self, code: str) -> dict[str, tuple[str, int]]:
        """Each student's (guided lesson, step) by name key, for those who opened one."""
        with self.runs.connect() as connection:
            rows = connection.execute("SELECT name_key, lesson, step FROM class_steps WHERE code = ?", (code,))
            return {name_key: (lesson, step) for name_key, lesson, step in rows}

    def get(self, code: object, now: float | None = None) -> ClassInfo | None:
        """The class with this code, None when there is none (never was, deleted or expired)."""
        found = self._row(code, now)
        return ClassInfo(*found[:4]) if found else None

    def for_teacher(self, code: object, key: object, now: float | None = None) -> ClassInfo | None:
        """The class when `key` is its teacher key; None for no key, another class's key, a guess,
        or no such class (one answer for all, so a refusal tells nothing about the class)."""
        found = self._row(code, now)
        if found is None:
            rules.matches(key, rules.digest("no class"))  # the same work as a real comparison
            return None
        return ClassInfo(*found[:4]) if rules.matches(key, found[4]) else None

    def _row(self, code: object, now: float | None) -> tuple | None:
        code = rules.check_code(code)
        if code is None:
            return None
        with self.runs.transaction() as connection:
            _purge(connection, time.time() if now is None else now)
            return connection.execute("SELECT code, created, expires, closed, key_digest FROM classes WHERE code = ?",
                                      (code,)).fetchone()

    def join(self, code: str, raw_name: object, now: float | None = None) -> tuple[Student, str]:
        """A student joins under a name; (the student, their token). ClassError when the class is
        closed or gone, the name cannot be used or is taken, or the class is full."""
        name = rules.clean_name(raw_name)
        now = time.time() if now is None else now
        token = rules.new_secret()
        student = Student(code, name, rules.name_key(name), now)
        with self.runs.transaction() as connection:
            _purge(connection, now)
            _check_open(connection, code)
            count = connection.execute("SELECT COUNT(*) FROM class_students WHERE code = ?", (code,)).fetchone()[0]
            if count >= rules.max_students():
                raise ClassError(f"This class is full: it has {count} students, as many as a class may have here.")
            try:
                connection.execute("INSERT INTO class_students (code, name_key, name, token_digest, joined)"
                                   " VALUES (?,?,?,?,?)", (code, student.name_key, name, rules.digest(token), now))
            except sqlite3.IntegrityError:
                raise ClassError("Someone in this class already uses that name; pick another.") from None
        return student, token

    def student_by_token(self, code: object, token: object) -> Student | None:
        """The student whose own link carries `token`, in the class with this code; None otherwise."""
        code = rules.check_code(code)
        if code is None or self.get(code) is None or not isinstance(token, str) or not rules.SECRET.fullmatch(token):
            return None
        with self.runs.connect() as connection:
            row = connection.execute("SELECT code, name, name_key, joined, token_digest FROM class_students"
                                     " WHERE code = ? AND token_digest = ?", (code, rules.digest(token))).fetchone()
        return Student(*row[:4]) if row and rules.matches(token, row[4]) else None

    def student(self, code: str, name_key: str) -> Student | None:
        with self.runs.connect() as connection:
            row = connection.execute("SELECT code, name, name_key, joined FROM class_students"
                                     " WHERE code = ? AND name_key = ?", (code, name_key)).fetchone()
        return Student(*row) if row else None

    def students(self, code: str) -> list[Student]:
        """The class's students in the order they joined."""
        with self.runs.connect() as connection:
            rows = connection.execute("SELECT code, name, name_key, joined FROM class_students WHERE code = ?"
                                      " ORDER BY joined, name_key", (code,)).fetchall()
        return [Student(*row) for row in rows]

    def check_run(self, student: Student, run_id: str, now: float | None = None) -> None:
        """ClassError when this student may not train this run in their class (closed, gone, or past
        the runs each student may have; training a run they already have again is always allowed)."""
        with self.runs.transaction() as connection:
            _purge(connection, time.time() if now is None else now)
            self._check_run_locked(connection, student, run_id)

    def _check_run_locked(self, connection: sqlite3.Connection, student: Student, run_id: str) -> None:
        _check_open(connection, student.code)
        if connection.execute("SELECT 1 FROM class_students WHERE code = ? AND name_key = ?",
                              (student.code, student.name_key)).fetchone() is None:
            raise ClassError("Your name is no longer in this class (the teacher may have deleted it).")
        ids = {row[0] for row in connection.execute("SELECT run_id FROM class_runs WHERE code = ? AND name_key = ?",
                                                    (student.code, student.name_key))}
        if run_id not in ids and len(ids) >= rules.max_runs():
            raise ClassError(f"You have trained {len(ids)} runs in this class, as many as a student may "
                             "(RNN_PLAYGROUND_CLASS_RUNS); retrain one of them, or ask your teacher.")

    def record_run(self, student: Student, run_id: str, job_id: str, now: float | None = None) -> None:
        """Tag a run the student submitted with their class and name (again: the newest job wins)."""
        now = time.time() if now is None else now
        with self.runs.transaction() as connection:
            _purge(connection, now)
            self._check_run_locked(connection, student, run_id)
            connection.execute("INSERT INTO class_runs (code, name_key, run_id, job_id, submitted) VALUES (?,?,?,?,?)"
                               " ON CONFLICT (code, name_key, run_id) DO UPDATE SET job_id=excluded.job_id,"
                               " submitted=excluded.submitted", (student.code, student.name_key, run_id, job_id, now))

    def class_runs(self, code: str) -> list[ClassRun]:
        """Every tagged run of the class, oldest submission first."""
        with self.runs.connect() as connection:
            rows = connection.execute("SELECT name_key, run_id, job_id, submitted FROM class_runs WHERE code = ?"
                                      " ORDER BY submitted", (code,)).fetchall()
        return [ClassRun(*row) for row in rows]

    def close(self, code: str, now: float | None = None) -> None:
        """Students can no longer join or train in the class; the teacher still sees it until it ends."""
        with self.runs.transaction() as connection:
            connection.execute("UPDATE classes SET closed = ? WHERE code = ? AND closed IS NULL",
                               (time.time() if now is None else now, code))

    def delete(self, code: str) -> None:
        """The class, its names and its tags, at once (its runs stay in the run store)."""
        with self.runs.transaction() as connection:
            _delete(connection, [code])


def _check_open(connection: sqlite3.Connection, code: str) -> None:
    row = connection.execute("SELECT closed FROM classes WHERE code = ?", (code,)).fetchone()
    if row is None:
        raise ClassError("This class has ended: its teacher deleted it, or its time ran out.")
    if row[0] is not None:
        raise ClassError(CLOSED)


def _purge(connection: sqlite3.Connection, now: float) -> None:
    """Remove every class past its expiry time, with its students' names and its run tags."""
    expired = [row[0] for row in connection.execute("SELECT code FROM classes WHERE expires <= ?", (now,))]
    _delete(connection, expired)


def _delete(connection: sqlite3.Connection, codes: list[str]) -> None:
    for code in codes:
        for table in ("class_steps", "class_lessons", "class_runs", "class_students", "classes"):
            connection.execute(f"DELETE FROM {table} WHERE code = ?", (code,))
