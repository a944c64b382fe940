-- Schema version 3: one resource identity (resource.ID).
--
-- Every resource column now holds resource.ID's canonical form,
-- ACCOUNT/REGION/KIND/NAME (an endpoint variant adds /VARIANT). The
-- executor (apply, restore) already wrote that form; the scheduler wrote
-- the resource's ARN into claims, savings, schedule_memory and its audit
-- entries, so the same notebook had two keys and could be claimed twice
-- and saved twice. This rewrites every ARN key.
--
-- AWS lower-cases the name in an ARN, so the name is taken, with its case,
-- from the scheduler's audit entries for that ARN (their details hold
-- account, region and name); only an ARN no entry explains is parsed, and
-- keeps the lower-cased name.

CREATE TEMP TABLE id_map (arn TEXT PRIMARY KEY, id TEXT NOT NULL);

-- From the newest audit entry of each ARN.
INSERT OR IGNORE INTO id_map (arn, id)
SELECT resource,
       json_extract(details, '$.account') || '/' || json_extract(details, '$.region') || '/' ||
       kind || '/' || json_extract(details, '$.name')
  FROM actions
 WHERE resource LIKE 'arn:%'
   AND json_valid(details)
   AND COALESCE(json_extract(details, '$.account'), '') <> ''
   AND COALESCE(json_extract(details, '$.region'), '') <> ''
   AND COALESCE(json_extract(details, '$.name'), '') <> ''
   AND kind IN ('notebook-instance', 'studio-app', 'endpoint')
 ORDER BY id DESC;

-- The rest, parsed: arn:PARTITION:sagemaker:REGION:ACCOUNT:TYPE/NAME, where
-- a Studio app is app/DOMAIN/OWNER/TYPE/NAME and its ID's name OWNER/TYPE/NAME.
INSERT OR IGNORE INTO id_map (arn, id)
WITH arns AS (
    SELECT resource AS arn FROM claims WHERE resource LIKE 'arn:%'
    UNION SELECT resource FROM savings WHERE resource LIKE 'arn:%'
    UNION SELECT resource FROM schedule_memory WHERE resource LIKE 'arn:%'
    UNION SELECT resource FROM actions WHERE resource LIKE 'arn:%'
    UNION SELECT resource FROM idle_since WHERE resource LIKE 'arn:%'
    UNION SELECT resource FROM marks WHERE resource LIKE 'arn:%'
    UNION SELECT resource FROM findings WHERE resource LIKE 'arn:%'
),
a AS (SELECT arn, substr(arn, instr(arn, ':sagemaker:') + 11) AS rest FROM arns WHERE instr(arn, ':sagemaker:') > 0),
b AS (SELECT arn, substr(rest, 1, instr(rest, ':') - 1) AS region, substr(rest, instr(rest, ':') + 1) AS rest FROM a),
c AS (SELECT arn, region, substr(rest, 1, instr(rest, ':') - 1) AS account, substr(rest, instr(rest, ':') + 1) AS rest FROM b),
d AS (SELECT arn, region, account, substr(rest, 1, instr(rest, '/') - 1) AS type, substr(rest, instr(rest, '/') + 1) AS name
        FROM c WHERE instr(rest, '/') > 0)
SELECT arn,
       account || '/' || region || '/' ||
       CASE type WHEN 'app' THEN 'studio-app' ELSE type END || '/' ||
       CASE type WHEN 'app' THEN substr(name, instr(name, '/') + 1) ELSE name END
  FROM d
 WHERE account <> '' AND region <> '' AND name <> '';

-- Savings: where a resource had a period open under each key (the double
-- count this migration ends), the later one is closed where it began: it
-- saved nothing the first did not.
CREATE TEMP TABLE savings_ids AS
SELECT s.id, COALESCE(m.id, s.resource) AS rid, s.until_at IS NULL AS open
  FROM savings s LEFT JOIN id_map m ON m.arn = s.resource;
UPDATE savings SET until_at = from_at
 WHERE until_at IS NULL
   AND id IN (SELECT later.id FROM savings_ids later JOIN savings_ids earlier
               ON earlier.rid = later.rid AND earlier.id < later.id AND earlier.open AND later.open);
UPDATE savings SET resource = (SELECT rid FROM savings_ids WHERE savings_ids.id = savings.id)
 WHERE resource IN (SELECT arn FROM id_map);
DROP TABLE savings_ids;

-- Claims and schedule memory are keyed by resource: a row whose new key
-- is taken already (the same resource claimed under both keys) is dropped.
UPDATE OR IGNORE claims SET resource = (SELECT id FROM id_map WHERE arn = claims.resource)
 WHERE resource IN (SELECT arn FROM id_map);
DELETE FROM claims WHERE resource IN (SELECT arn FROM id_map);
UPDATE OR IGNORE schedule_memory SET resource = (SELECT id FROM id_map WHERE arn = schedule_memory.resource)
 WHERE resource IN (SELECT arn FROM id_map);
DELETE FROM schedule_memory WHERE resource IN (SELECT arn FROM id_map);
UPDATE OR IGNORE idle_since SET resource = (SELECT id FROM id_map WHERE arn = idle_since.resource)
 WHERE resource IN (SELECT arn FROM id_map);
DELETE FROM idle_since WHERE resource IN (SELECT arn FROM id_map);
UPDATE OR IGNORE marks SET resource = (SELECT id FROM id_map WHERE arn = marks.resource)
 WHERE resource IN (SELECT arn FROM id_map);
DELETE FROM marks WHERE resource IN (SELECT arn FROM id_map);

UPDATE actions SET resource = (SELECT id FROM id_map WHERE arn = actions.resource)
 WHERE resource IN (SELECT arn FROM id_map);
UPDATE findings SET resource = (SELECT id FROM id_map WHERE arn = findings.resource)
 WHERE resource IN (SELECT arn FROM id_map);

DROP TABLE id_map;
