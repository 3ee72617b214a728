"""Readers shared by lessons: tables, pen files, SentencePiece pieces, uploads, and their checks.

Above core.settings only; no lesson and no model lives here."""
