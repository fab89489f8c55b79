-- Product descriptions moved to the CMS, and free-text notes on interactions are no longer kept
-- (privacy review, 2025-11). Clients stopped reading both in release 2.14.
--
-- A reviewer should call this risky: it destroys data. Once it runs, the descriptions and the
-- notes are gone unless restored from the pre-migration backup, which is why prod requires an
-- approval (dbpipe:approvals in Pulumi.prod.yaml) and a backup before it runs.
ALTER TABLE products DROP COLUMN description;

UPDATE interactions SET notes = NULL;

-- dbpipe:down
ALTER TABLE products ADD COLUMN description text;
