-- Move the sign-ins that failed a row-level expectation (temp table gate_failures: tenant_id, id, reason) to
-- quarantine, under the raw record they were read from; the raw layer keeps the record itself.

INSERT INTO quarantine
SELECT r.file_sha256, r.locator, f.first_path, r.line, g.reason, NULL, now()
FROM gate_failures AS g
JOIN signins AS s ON s.tenant_id = g.tenant_id AND s.id = g.id
JOIN raw_records AS r ON r.record_key = s.record_key
JOIN raw_files AS f ON f.file_sha256 = r.file_sha256
ON CONFLICT DO NOTHING;

DELETE FROM signin_auth_steps AS c USING gate_failures AS g WHERE c.tenant_id = g.tenant_id AND c.signin_id = g.id;
DELETE FROM signin_app_policy_evaluations AS c USING gate_failures AS g
WHERE c.tenant_id = g.tenant_id AND c.signin_id = g.id;
DELETE FROM signin_app_device_details AS c USING gate_failures AS g
WHERE c.tenant_id = g.tenant_id AND c.signin_id = g.id;
CREATE OR REPLACE TEMP TABLE released_ca_sets AS   -- for sql/ca_sets/drop_released.sql
SELECT DISTINCT ca_set FROM signins SEMI JOIN gate_failures USING (tenant_id, id) WHERE ca_set IS NOT NULL;
DELETE FROM signins AS s USING gate_failures AS g WHERE s.tenant_id = g.tenant_id AND s.id = g.id;
