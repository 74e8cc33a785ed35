-- Calendars as changed at run time by a supervisor. Append-only: the newest revision of a
-- calendar is the one in force, the older ones are its history (who changed what, when).
CREATE TABLE calendar_revisions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    calendar_id TEXT NOT NULL,
    source TEXT NOT NULL,
    saved_at TEXT NOT NULL,
    saved_by TEXT NOT NULL,
    note TEXT NOT NULL DEFAULT ''
);
CREATE INDEX calendar_revisions_by_calendar ON calendar_revisions (calendar_id, id);
