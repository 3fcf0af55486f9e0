// Upserts :Team nodes from $rows (maps {id, props}): domain properties are replaced,
// first_seen is kept, $book (source, sync_tenant, sync_run, last_seen) is set.
// Returns how many rows were written, how many nodes were added and how many changed.
UNWIND $rows AS row
OPTIONAL MATCH (old:Team {id: row.id})
WITH row, old IS NULL AS added,
     old IS NOT NULL AND (
       any(k IN keys(row.props) WHERE old[k] IS NULL OR old[k] <> row.props[k])
       OR any(k IN keys(old) WHERE NOT k IN $fixed AND row.props[k] IS NULL)
     ) AS changed
MERGE (n:Team {id: row.id})
ON CREATE SET n.first_seen = $seen
WITH n, row, added, changed, n.first_seen AS first_seen
// Only a new or changed node is rewritten; an unchanged one gets the run's tags.
FOREACH (_ IN CASE WHEN added OR changed THEN [1] ELSE [] END |
  SET n = row.props, n.id = row.id, n.first_seen = first_seen)
SET n += $book
RETURN count(*) AS rows, sum(toInteger(added)) AS added, sum(toInteger(changed)) AS updated
