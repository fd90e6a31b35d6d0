-- Schema version 10: the files a load has read, by where they lie, so that reading a folder again costs
-- a stat and a lookup per file already loaded, not a hash of its content.
--
-- A file is taken as known when its path, size and modification time (nanoseconds) match a row here
-- and its content (file_sha256) has an ingest_log row of a finished, not skipped, load: a run that was
-- undone leaves no such row, so its files are read again. Any change to a file changes its size or
-- time, and it is hashed and read as new.
CREATE TABLE known_files (
    path            VARCHAR PRIMARY KEY,   -- absolute, as signins.text.path_text writes it
    size_bytes      BIGINT NOT NULL,
    modified_ns     BIGINT NOT NULL,
    file_sha256     VARCHAR NOT NULL,
    seen_at         TIMESTAMPTZ NOT NULL
);
