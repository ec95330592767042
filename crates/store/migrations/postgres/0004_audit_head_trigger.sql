-- The chain head follows each appended entry inside the database, so that an
-- append is one statement. Same trigger in migrations/sqlite/0004_*.
CREATE FUNCTION audit_entries_head() RETURNS trigger AS $$
BEGIN
    UPDATE audit_heads SET seq = NEW.seq, hash = NEW.hash WHERE organisation_id = NEW.organisation_id;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER audit_entries_head AFTER INSERT ON audit_entries
    FOR EACH ROW EXECUTE FUNCTION audit_entries_head();
