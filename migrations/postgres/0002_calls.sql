-- Call detail records: one row per call from the first INVITE, and an append-only log of
-- every step. Reports are computed from the steps, so a changed definition applies to the past.
CREATE TABLE calls (
    id TEXT PRIMARY KEY,
    sip_call_id TEXT NOT NULL,
    arrived_at TEXT NOT NULL,
    service_date TEXT NOT NULL,
    in_hours BIGINT NOT NULL,
    caller TEXT NOT NULL,
    dialed TEXT NOT NULL,
    line TEXT NOT NULL,
    trunk_peer TEXT NOT NULL,
    transport TEXT NOT NULL
);
CREATE INDEX calls_by_service_date ON calls (service_date);

CREATE TABLE call_events (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    call_id TEXT NOT NULL REFERENCES calls (id),
    at TEXT NOT NULL,
    offset_ms BIGINT NOT NULL,
    kind TEXT NOT NULL,
    detail TEXT NOT NULL DEFAULT ''
);
CREATE INDEX call_events_by_call ON call_events (call_id, id);
