-- hoist metadata, version 1: uploads, held chunks, completed files, names
-- and per-user usage.
CREATE TABLE uploads (
	fid        uuid PRIMARY KEY,
	owner      text NOT NULL,
	files      jsonb NOT NULL,
	tags       text[] NOT NULL,
	chunk_size integer NOT NULL,
	created    timestamptz NOT NULL,
	touched    timestamptz NOT NULL
);
CREATE INDEX uploads_touched ON uploads (touched);

-- One row per chunk on stable storage of an incomplete file.
CREATE TABLE held_chunks (
	fid  uuid NOT NULL,
	file integer NOT NULL,
	idx  bigint NOT NULL,
	PRIMARY KEY (fid, file, idx)
);

CREATE TABLE files (
	fid       uuid NOT NULL,
	file      integer NOT NULL,
	owner     text NOT NULL,
	name      text NOT NULL,
	stored    text NOT NULL,
	size      bigint NOT NULL,
	sha256    text NOT NULL,
	tags      text[] NOT NULL,
	completed timestamptz NOT NULL,
	PRIMARY KEY (fid, file)
);
CREATE INDEX files_owner ON files (owner, completed);
CREATE INDEX files_tags ON files USING gin (tags);

-- The names given out in each user's area: never two files under one
-- name, and one name per file.
CREATE TABLE names (
	owner text NOT NULL,
	name  text NOT NULL,
	fid   uuid NOT NULL,
	file  integer NOT NULL,
	PRIMARY KEY (owner, name),
	UNIQUE (fid, file)
);

-- Bytes per user in completed files and reserved by unfinished uploads;
-- the row is locked by every change, so quota checks serialize per user.
CREATE TABLE usage (
	owner     text PRIMARY KEY,
	completed bigint NOT NULL DEFAULT 0,
	reserved  bigint NOT NULL DEFAULT 0
);
