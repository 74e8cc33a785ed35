-- Offices changed at run time (BK-SLOT: slot length and capacity), appended like the calendars'
-- revisions: the newest revision of an office is the one in force, over the shipped and folder
-- files; every change keeps who made it, when and why.
CREATE TABLE office_revisions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    office_id TEXT NOT NULL,
    source TEXT NOT NULL,
    saved_at TEXT NOT NULL,
    saved_by TEXT NOT NULL,
    note TEXT NOT NULL DEFAULT ''
);
CREATE INDEX office_revisions_by_office ON office_revisions (office_id, id);
