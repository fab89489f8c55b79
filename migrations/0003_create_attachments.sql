-- Files attached to an interaction: the bytes live in object storage, the metadata here.
CREATE TABLE attachments (
  id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  interaction_id  bigint      NOT NULL REFERENCES interactions (id) ON DELETE CASCADE,
  file_name       text        NOT NULL,
  content_type    text        NOT NULL DEFAULT 'application/octet-stream',
  size_bytes      bigint      NOT NULL CHECK (size_bytes >= 0),
  storage_key     text        NOT NULL UNIQUE,
  sha256          bytea       NOT NULL CHECK (octet_length(sha256) = 32),
  uploaded_at     timestamptz NOT NULL DEFAULT now(),
  updated_at      timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX attachments_interaction_idx ON attachments (interaction_id);

/* Keep updated_at honest whatever the application does.
   The body is dollar-quoted: semicolons inside it do not end the statement. */
CREATE FUNCTION touch_updated_at() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  NEW.updated_at := now(); -- the row's last change
  RETURN NEW;
END;
$$;

CREATE TRIGGER attachments_touch_updated_at
  BEFORE UPDATE ON attachments
  FOR EACH ROW EXECUTE FUNCTION touch_updated_at();

-- dbpipe:down
DROP TABLE attachments;
DROP FUNCTION touch_updated_at();
