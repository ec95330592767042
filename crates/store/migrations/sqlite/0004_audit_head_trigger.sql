-- The chain head follows each appended entry inside the database, so that an
-- append is one statement. Same trigger in migrations/postgres/0004_*.
CREATE TRIGGER audit_entries_head AFTER INSERT ON audit_entries
BEGIN
    UPDATE audit_heads SET seq = NEW.seq, hash = NEW.hash WHERE organisation_id = NEW.organisation_id;
END;
