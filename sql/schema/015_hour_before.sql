-- Schema version 15: the hour before each 500121 failure, and novelty of the network (ASN).
--
-- `cause_tags` gains what happened in the hour before the failure (sql/causes/10_signin_facts.sql): the
-- user's wrong passwords (50126) and the IPs they came from, MFA interrupts of the user's other attempts
-- (50074, 50076), Conditional Access blocks (53003), how many users failed a password from the failure's
-- IP (a spray), and whether the right password came from an IP, country or network the user never
-- signed in from (`password_known_elsewhere`). Tags stored before have none of it (NULL): the settings
-- that came with this version make the next `signins tag` a full re-tag, which fills them.
ALTER TABLE cause_tags ADD COLUMN password_failures_hour INTEGER;
ALTER TABLE cause_tags ADD COLUMN password_failure_ips_hour INTEGER;
ALTER TABLE cause_tags ADD COLUMN spray_users_hour INTEGER;
ALTER TABLE cause_tags ADD COLUMN mfa_interrupts_hour INTEGER;
ALTER TABLE cause_tags ADD COLUMN ca_blocks_hour INTEGER;
ALTER TABLE cause_tags ADD COLUMN password_known_elsewhere BOOLEAN;

-- The summary of the older history keeps the first success per network too; the one stored has no
-- networks, so the next tagging run builds it anew.
ALTER TABLE history_summary ADD COLUMN autonomous_system_number INTEGER;
DELETE FROM history_summary;
DELETE FROM history_summary_state;

-- The findings tell who became recurring since the previous tagging run that brought new sign-ins: what
-- had been loaded by then is `previous_loaded_until` (at this version: everything the last run tagged).
ALTER TABLE tag_state ADD COLUMN previous_loaded_until TIMESTAMPTZ;
UPDATE tag_state SET previous_loaded_until = loaded_until;
