"""The analysts' database and what lives in it: feedback (corrected verdicts, kept as training
data), rules managed from the API, and the in-memory map from message ids to recent texts.

SQLite by default, PostgreSQL with a `postgresql://` URL (FANZHA_DATABASE_URL); SQLAlchemy Core
keeps one code path for both. Classification never depends on the database: when it is down,
feedback and database rules answer 503 while classification and file rules carry on.
"""
