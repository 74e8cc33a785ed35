-- City staff (市職員) read bookings and lists and receive exports; they take no calls.
ALTER TABLE users DROP CONSTRAINT users_role_check;
ALTER TABLE users ADD CONSTRAINT users_role_check CHECK (role IN ('city', 'agent', 'supervisor', 'admin'));
