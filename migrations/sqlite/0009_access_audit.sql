-- Who read what (CC-PRIV, BK-AUDIT): every read of a call's record, a booking, a list of
-- bookings or an export, with the reader, their role, when and from where. Appended only; a read
-- whose row cannot be written is refused, so no access goes unrecorded.
CREATE TABLE access_audit (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at TEXT NOT NULL,
    reader TEXT NOT NULL,
    role TEXT NOT NULL,
    action TEXT NOT NULL,
    subject TEXT NOT NULL,
    address TEXT NOT NULL DEFAULT ''
);
CREATE INDEX access_audit_by_time ON access_audit (at);
