-- Once a batch is staged (its policy-list rows read, load/35_stage_children.sql), a connection that
-- remembers more than $max_known policy-list texts (ca_known, load/10_stage_macros.sql) forgets them all:
-- a file whose sign-ins spell thousands of lists (a hostile one) is then parsed a batch at a time, as
-- the lists a batch meets are parsed again.
DELETE FROM ca_known WHERE (SELECT count(*) FROM ca_known) > $max_known;
