-- Schema version 12: a user finding counts MFA attempts as the dashboards do.
--
-- `user_findings.attempts`: the distinct attempts (correlation ids; the sign-in id when a sign-in has
-- none) behind the finding, beside `failures`, its 500121 log rows (an attempt can log several).
-- Filled here from the cause tags each finding is built from (sql/causes/20_user_findings.sql at this
-- version: every tag of the user, and for fatigue_then_success its fatigue tags followed by a success).

ALTER TABLE user_findings ADD COLUMN attempts INTEGER;

UPDATE user_findings AS f
SET attempts = (
    SELECT count(DISTINCT coalesce(t.correlation_id, t.signin_id)) FROM cause_tags t
    WHERE t.user_key = f.user_key
      AND (f.finding <> 'fatigue_then_success' OR (list_contains(t.causes, 'mfa_fatigue') AND t.success_within_hour))
);
