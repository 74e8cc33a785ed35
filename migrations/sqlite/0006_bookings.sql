-- Bookings (BK-*). No personal information (BK-NOPII): a booking is a service at an office in a
-- slot, with a code and the hash of the booker's secret; the only personal datum is an optional
-- e-mail address for notices, deleted after the appointment and never listed or exported.
-- Slots are named by their local Tokyo start, 'YYYY-MM-DDTHH:MM' (a slot's identity survives a
-- change of slot length, BK-SLOT).
CREATE TABLE bookings (
    code TEXT PRIMARY KEY,
    secret_hash TEXT NOT NULL,
    office TEXT NOT NULL,
    service TEXT NOT NULL,
    slot_start TEXT NOT NULL,
    slot_minutes BIGINT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('booked', 'cancelled')),
    channel TEXT NOT NULL,
    -- The staff member who booked (an agent on a call), '' for the web.
    booked_by TEXT NOT NULL DEFAULT '',
    call_id TEXT NOT NULL DEFAULT '',
    visitor TEXT NOT NULL,
    -- The ids of the checklist items confirmed, as a JSON list.
    confirmations TEXT NOT NULL,
    email TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX bookings_by_slot ON bookings (slot_start, office);
CREATE INDEX bookings_by_call ON bookings (call_id);

-- Bookings taken per slot (BK-EXCL): the one counter a booking increments, in a single
-- conditional statement that refuses to pass the slot's capacity.
CREATE TABLE slot_usage (
    office TEXT NOT NULL,
    service TEXT NOT NULL,
    slot_start TEXT NOT NULL,
    used BIGINT NOT NULL CHECK (used >= 0),
    PRIMARY KEY (office, service, slot_start)
);

-- Every create, change, cancel and override, appended (BK-AUDIT), with the state before and
-- after as JSON, the actor and channel, and the client's address when known.
CREATE TABLE booking_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    code TEXT NOT NULL,
    at TEXT NOT NULL,
    kind TEXT NOT NULL,
    actor TEXT NOT NULL,
    channel TEXT NOT NULL,
    state_before TEXT NOT NULL DEFAULT '',
    state_after TEXT NOT NULL DEFAULT '',
    reason TEXT NOT NULL DEFAULT '',
    address TEXT NOT NULL DEFAULT ''
);
CREATE INDEX booking_events_by_code ON booking_events (code, id);
CREATE INDEX booking_events_by_time ON booking_events (at);

-- The outage banner of the citizen pages (BK-STATUS), appended: the newest row is in force, an
-- empty message takes the banner down.
CREATE TABLE booking_status (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    message TEXT NOT NULL,
    set_by TEXT NOT NULL,
    set_at TEXT NOT NULL
);
