// Records ingest run $id of ($source, $tenant) as pending, ordered by seq: the generation
// its transaction commits, moved here; returns that generation. Run nodes are
// bookkeeping: their label is left out of stats and export, and they carry no
// sync_tenant, so no cleanup ever matches them.
MERGE (m:NhigraphMeta {key: 'generation'})
SET m.value = coalesce(m.value, 0) + 1
WITH m
MERGE (r:NhigraphRun {id: $id})
SET r.source = $source, r.tenant = $tenant, r.seq = m.value, r.started = $started,
    r.finished = null, r.state = 'pending'
RETURN m.value AS generation
