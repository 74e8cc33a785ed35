-- The FAQ book's revisions (CC-FAQ): a supervisor's change is a pending revision (the whole
-- entry file), city staff approve or reject it; approved revisions are what agents see, over
-- the files shipped in faq/.
CREATE TABLE faq_revisions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    entry_id TEXT NOT NULL,
    revision BIGINT NOT NULL,
    source TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('pending', 'approved', 'rejected')),
    written_by TEXT NOT NULL,
    written_at TEXT NOT NULL,
    reviewed_by TEXT NOT NULL DEFAULT '',
    reviewed_at TEXT NOT NULL DEFAULT '',
    review_note TEXT NOT NULL DEFAULT '',
    UNIQUE (entry_id, revision)
);
CREATE INDEX faq_revisions_by_status ON faq_revisions (status, id);

-- The FAQ entries an agent used on a call (ids separated by spaces).
ALTER TABLE call_wrapups ADD COLUMN faq_ids TEXT NOT NULL DEFAULT '';
