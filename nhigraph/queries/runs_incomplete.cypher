// Returns the ingest runs recorded pending whose (source, tenant) has no later complete
// run, ordered by start: interrupted, or still writing.
MATCH (p:NhigraphRun {state: 'pending'})
WHERE NOT EXISTS {
  MATCH (later:NhigraphRun {source: p.source, tenant: p.tenant, state: 'complete'})
  WHERE later.seq > p.seq
}
RETURN p.id AS id, p.source AS source, p.tenant AS tenant, p.started AS started,
       p.finished AS finished, p.state AS state
ORDER BY started, id
