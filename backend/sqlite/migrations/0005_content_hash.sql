-- The fingerprint of an episode covers every byte of its video:
-- content_hash is the SHA-256 of the whole file, file_stat the file's
-- identity when it was hashed (size, mtime and ctime in ns, device, inode),
-- so an unchanged file is not hashed again and any change is. Rows of an
-- older version have neither; their fingerprint (size + first and last
-- MiB) is kept, so their results stay valid, and they get both the next
-- time the file is registered.
ALTER TABLE episodes ADD COLUMN content_hash TEXT NOT NULL DEFAULT '';
ALTER TABLE episodes ADD COLUMN file_stat TEXT NOT NULL DEFAULT '';
CREATE INDEX episodes_content ON episodes (content_hash);
