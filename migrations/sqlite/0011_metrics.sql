-- The day's metrics read the agents' events by time (the state at midnight comes from the
-- last earlier one).
CREATE INDEX agent_events_by_time ON agent_events (at);

-- Security incidents the operator records (CC-REPORT: 0 is an indicator of the monthly
-- report). The summary is what the city reads; no personal information goes in it.
CREATE TABLE security_incidents (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    occurred_on TEXT NOT NULL,
    summary TEXT NOT NULL,
    recorded_by TEXT NOT NULL,
    recorded_at TEXT NOT NULL
);
CREATE INDEX security_incidents_by_date ON security_incidents (occurred_on);
