-- Schema version 14: a verdict on every tagged failure: benign (user or device trouble), suspicious or
-- hostile, with its one-line reason (transforms/rules/*.yaml, `verdict`).
--
-- Tags stored before get the verdict of their primary cause as the rules gave it at this version, and
-- the reason says so; `signins tag --full` gives them the verdict of every cause and condition.
ALTER TABLE cause_tags ADD COLUMN verdict VARCHAR;
ALTER TABLE cause_tags ADD COLUMN verdict_reason VARCHAR;

UPDATE cause_tags
SET verdict = CASE WHEN primary_cause IN ('mfa_fatigue', 'fraud_reported') THEN 'hostile'
                   WHEN primary_cause IN ('risk_block', 'prompt_denied', 'new_location') THEN 'suspicious'
                   ELSE 'benign' END,
    verdict_reason = 'the verdict of its primary cause (tagged before verdicts; signins tag --full refines it)';
