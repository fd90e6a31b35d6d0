-- Schema version 14: a verdict on every tagged failure: benign (user or device trouble), suspicious or
-- hostile, with its one-line reason (transforms/rules/*.yaml, `verdict`); a user finding has the most
-- serious verdict of the failures behind it.
--
-- Tags stored before get the verdict of their primary cause as the rules gave it at this version, and
-- the reason says so; `signins tag --full` gives them the verdict of every cause and condition.
-- The order of verdicts, least to most serious: the most serious of several is the verdict of their max.
CREATE MACRO verdict_severity(verdict) AS CASE verdict WHEN 'hostile' THEN 2 WHEN 'suspicious' THEN 1 ELSE 0 END;
CREATE MACRO verdict_of_severity(severity) AS CASE severity WHEN 2 THEN 'hostile' WHEN 1 THEN 'suspicious' ELSE 'benign' END;

ALTER TABLE cause_tags ADD COLUMN verdict VARCHAR;
ALTER TABLE cause_tags ADD COLUMN verdict_reason VARCHAR;

UPDATE cause_tags
SET verdict = CASE WHEN primary_cause IN ('mfa_fatigue', 'fraud_reported') THEN 'hostile'
                   WHEN primary_cause IN ('risk_block', 'prompt_denied', 'new_location') THEN 'suspicious'
                   ELSE 'benign' END,
    verdict_reason = 'the verdict of its primary cause (tagged before verdicts; signins tag --full refines it)';

ALTER TABLE user_findings ADD COLUMN verdict VARCHAR;
UPDATE user_findings AS f
SET verdict = (
    SELECT verdict_of_severity(max(verdict_severity(t.verdict))) FROM cause_tags t
    WHERE t.user_key = f.user_key
      AND (f.finding <> 'fatigue_then_success' OR (list_contains(t.causes, 'mfa_fatigue') AND t.success_within_hour))
);
