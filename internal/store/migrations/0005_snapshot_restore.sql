-- Endpoint snapshots keep the endpoint config itself (variants, instance
-- types and counts, async and serverless settings, data capture, KMS key,
-- tags; a JSON document the executor chooses), so that restore still works
-- when someone deleted the config, and the restore steps done so far (a
-- JSON array of step names), so that a restore that failed half-way is
-- finished by the next one.
ALTER TABLE endpoint_snapshots ADD COLUMN endpoint_config TEXT NOT NULL DEFAULT '{}';
ALTER TABLE endpoint_snapshots ADD COLUMN restore_steps TEXT NOT NULL DEFAULT '[]';
