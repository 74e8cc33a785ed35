-- Call recordings (CC-COMPLAINT): one per call, from the agent's answer to the end, both sides
-- in one stereo WAV under the recordings directory (`path` is relative to it). The row exists
-- from the first second (state 'recording'); a crash leaves it so, and the next start repairs
-- the file and finishes the row ('interrupted'). Retention deletes the file and keeps the row
-- ('deleted'). A call whose wrap-up says complaint or escalation is held until a supervisor
-- releases it (`released_at`); `held` is a supervisor's own hold.
CREATE TABLE recordings (
    call_id TEXT PRIMARY KEY,
    path TEXT NOT NULL,
    started_at TEXT NOT NULL,
    state TEXT NOT NULL,
    lang TEXT NOT NULL DEFAULT '',
    duration_ms BIGINT NOT NULL DEFAULT 0,
    bytes BIGINT NOT NULL DEFAULT 0,
    sha256 TEXT NOT NULL DEFAULT '',
    dropped_frames BIGINT NOT NULL DEFAULT 0,
    finished_at TEXT,
    held BIGINT NOT NULL DEFAULT 0,
    held_by TEXT NOT NULL DEFAULT '',
    released_at TEXT,
    released_by TEXT NOT NULL DEFAULT '',
    release_reason TEXT NOT NULL DEFAULT '',
    deleted_at TEXT
);
CREATE INDEX recordings_by_start ON recordings (started_at);

-- What happened on a recording's timeline: agents joining and leaving, hold, mute.
CREATE TABLE recording_marks (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    call_id TEXT NOT NULL,
    at_ms BIGINT NOT NULL,
    kind TEXT NOT NULL,
    agent TEXT NOT NULL DEFAULT ''
);
CREATE INDEX recording_marks_by_call ON recording_marks (call_id, at_ms);

-- Transcription jobs, one per channel of a recording: queued when the recording is finished,
-- claimed by a worker (of any process) for a lease, tried again up to a limit, resumed after a
-- restart (a lapsed lease is claimable again).
CREATE TABLE transcription_jobs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    call_id TEXT NOT NULL,
    channel TEXT NOT NULL,
    lang TEXT NOT NULL DEFAULT '',
    state TEXT NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 0,
    claimed_by TEXT NOT NULL DEFAULT '',
    lease_until TEXT NOT NULL DEFAULT '',
    queued_at TEXT NOT NULL,
    finished_at TEXT,
    last_error TEXT NOT NULL DEFAULT '',
    UNIQUE (call_id, channel)
);
CREATE INDEX transcription_jobs_by_state ON transcription_jobs (state, id);

-- Transcript segments, masked before they are written (My Numbers and PINs never stored).
CREATE TABLE transcript_segments (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    call_id TEXT NOT NULL,
    speaker TEXT NOT NULL,
    start_ms BIGINT NOT NULL,
    end_ms BIGINT NOT NULL,
    text TEXT NOT NULL
);
CREATE INDEX transcript_segments_by_call ON transcript_segments (call_id, start_ms);

-- Full-text search of the masked transcripts; trigrams, since Japanese has no spaces.
CREATE VIRTUAL TABLE transcript_search USING fts5 (text, call_id UNINDEXED, tokenize = 'trigram');
