-- City staff (市職員) read bookings and lists and receive exports; they take no calls. SQLite
-- cannot change a CHECK constraint, so the table is rebuilt. Foreign keys are checked at the
-- end of the migration's transaction instead of at each statement: while `users` is rebuilt,
-- agent_skills points at no table for a moment, and is whole again by the commit.
PRAGMA defer_foreign_keys = ON;
CREATE TABLE users_before_city AS SELECT name, role, password_hash, created_at FROM users;
DROP TABLE users;
CREATE TABLE users (
    name TEXT PRIMARY KEY,
    role TEXT NOT NULL CHECK (role IN ('city', 'agent', 'supervisor', 'admin')),
    password_hash TEXT NOT NULL,
    created_at TEXT NOT NULL
);
INSERT INTO users (name, role, password_hash, created_at)
    SELECT name, role, password_hash, created_at FROM users_before_city;
DROP TABLE users_before_city;
