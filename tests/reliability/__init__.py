"""Reliability tests (issue 8): Plex faults, malformed and hostile answers, concurrency, load, hostile web input.

Every scenario ends with assertions on the database. The suite runs on SQLite, and on PostgreSQL when
PLEXBOOKS_TEST_DATABASE_URL is set.
"""
