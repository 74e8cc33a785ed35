-- E-mail notices to bookers (BK-NOTIFY): written when what causes them happens, sent by the
-- postman task, tried again while the SMTP server is down, sent once (`once` names the notice:
-- the kind, the booking and what it is about). The address is personal data: it is emptied
-- once the notice is sent or given up.
CREATE TABLE mail_outbox (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    once TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    booking_code TEXT NOT NULL DEFAULT '',
    mail_from TEXT NOT NULL,
    mail_to TEXT NOT NULL,
    subject TEXT NOT NULL,
    body TEXT NOT NULL,
    created_at TEXT NOT NULL,
    due_at TEXT NOT NULL,
    sent_at TEXT,
    attempts BIGINT NOT NULL DEFAULT 0,
    last_error TEXT NOT NULL DEFAULT ''
);
CREATE INDEX mail_outbox_due ON mail_outbox (due_at);

-- The runs of the scheduled jobs (reminders, erasing e-mail addresses after the appointment,
-- purging old booking events): when, how many rows, how it ended.
CREATE TABLE job_runs (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    job TEXT NOT NULL,
    started_at TEXT NOT NULL,
    finished_at TEXT NOT NULL,
    rows_affected BIGINT NOT NULL,
    outcome TEXT NOT NULL
);
CREATE INDEX job_runs_by_job ON job_runs (job, id);
