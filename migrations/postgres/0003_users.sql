-- Staff accounts: agents, supervisors, admins. Passwords are argon2 hashes (PHC strings), never
-- the password itself.
CREATE TABLE users (
    name TEXT PRIMARY KEY,
    role TEXT NOT NULL CHECK (role IN ('agent', 'supervisor', 'admin')),
    password_hash TEXT NOT NULL,
    created_at TEXT NOT NULL
);

-- The languages an agent serves, with a proficiency from 1 (basic) to 3 (native).
CREATE TABLE agent_skills (
    user_name TEXT NOT NULL REFERENCES users (name),
    lang TEXT NOT NULL,
    level BIGINT NOT NULL CHECK (level BETWEEN 1 AND 3),
    PRIMARY KEY (user_name, lang)
);
