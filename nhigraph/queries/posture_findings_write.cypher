// Upserts Finding nodes from $rows (maps {id, rule, severity_rank, subject, integration,
// body}) found by build $build at $now: first_seen is kept, last_seen is $now, and the
// finding is open; each is joined to its Integration by ABOUT. Returns how many.
UNWIND $rows AS row
MERGE (f:Finding:Derived {id: row.id})
ON CREATE SET f.first_seen = $now
SET f.rule = row.rule, f.severity_rank = row.severity_rank, f.subject = row.subject,
    f.integration = row.integration, f.body = row.body, f.open = 1, f.build = $build,
    f.last_seen = $now, f.resolved_at = null
WITH f, row
OPTIONAL MATCH (i:Integration {id: row.integration})
FOREACH (_ IN CASE WHEN i IS NULL THEN [] ELSE [1] END | MERGE (f)-[:ABOUT]->(i))
RETURN count(*) AS written
