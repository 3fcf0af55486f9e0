// Records ingest run $id of ($source, $tenant) as complete, moving the generation, and
// forgets the earlier runs of that scope, which it supersedes; returns the generation.
MERGE (m:NhigraphMeta {key: 'generation'})
SET m.value = coalesce(m.value, 0) + 1
WITH m
MERGE (r:NhigraphRun {id: $id})
ON CREATE SET r.source = $source, r.tenant = $tenant, r.seq = m.value, r.started = $started
SET r.state = 'complete', r.finished = $finished
WITH m, r
OPTIONAL MATCH (earlier:NhigraphRun {source: $source, tenant: $tenant})
WHERE earlier.seq < r.seq
DELETE earlier
RETURN m.value AS generation, count(earlier) AS superseded
