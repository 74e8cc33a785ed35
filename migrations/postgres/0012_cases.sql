-- Escalations and complaints as cases (CC-ESC, CC-COMPLAINT): one case per call and kind,
-- opened in the same transaction as the wrap-up that flagged it; every step is an event, and
-- filing the wrap-up again adds an event instead of replacing anything.
CREATE TABLE cases (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    call_id TEXT NOT NULL REFERENCES calls (id),
    kind TEXT NOT NULL CHECK (kind IN ('escalation', 'complaint')),
    status TEXT NOT NULL,
    category TEXT NOT NULL,
    opened_at TEXT NOT NULL,
    opened_by TEXT NOT NULL,
    -- The agent who is to call the resident back.
    assignee TEXT NOT NULL DEFAULT '',
    outcome TEXT NOT NULL DEFAULT '',
    -- The FAQ entry the case produced.
    faq_id TEXT NOT NULL DEFAULT '',
    updated_at TEXT NOT NULL,
    UNIQUE (call_id, kind)
);
CREATE INDEX cases_by_status ON cases (status, id);
CREATE INDEX cases_by_opened ON cases (opened_at);

CREATE TABLE case_events (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    case_id BIGINT NOT NULL REFERENCES cases (id),
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    detail TEXT NOT NULL DEFAULT ''
);
CREATE INDEX case_events_by_case ON case_events (case_id, id);
