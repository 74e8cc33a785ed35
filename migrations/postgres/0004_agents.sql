-- The agents' event log: every state change of every agent, appended by the ACD task (the one
-- writer of agent state). Occupancy, handling times and idle times are computed from it.
CREATE TABLE agent_events (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    agent TEXT NOT NULL,
    at TEXT NOT NULL,
    state TEXT NOT NULL,
    reason TEXT NOT NULL DEFAULT '',
    call_id TEXT NOT NULL DEFAULT ''
);
CREATE INDEX agent_events_by_agent ON agent_events (agent, id);

-- What the agent filed after the call (CC-ESC, CC-COMPLAINT). One per call and agent; a call
-- transferred between agents has one from each.
CREATE TABLE call_wrapups (
    call_id TEXT NOT NULL REFERENCES calls (id),
    agent TEXT NOT NULL,
    saved_at TEXT NOT NULL,
    category TEXT NOT NULL,
    escalation BIGINT NOT NULL,
    escalation_note TEXT NOT NULL DEFAULT '',
    complaint BIGINT NOT NULL,
    notes TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (call_id, agent)
);

CREATE INDEX calls_by_caller ON calls (caller, arrived_at);
