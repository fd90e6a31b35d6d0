-- Schema version 4: a pull resumes inside a slice.

-- The @odata.nextLink each landed page pointed to (NULL on a slice's last page): a run that stopped
-- after some pages of a slice continues from the last landed page's link instead of page 1.
ALTER TABLE pull_pages ADD COLUMN next_link VARCHAR;
