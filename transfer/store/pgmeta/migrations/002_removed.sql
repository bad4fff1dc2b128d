-- hoist metadata, version 2: files removed by their owner while their
-- upload is still known stay as tombstones, so that the upload keeps
-- counting them complete.
ALTER TABLE files ADD COLUMN removed boolean NOT NULL DEFAULT false;
CREATE INDEX files_owner_stored ON files (owner, stored COLLATE "C") WHERE NOT removed;
