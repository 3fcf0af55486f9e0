// Upserts :Scope nodes from $rows (maps {id, props}): domain properties are replaced,
// first_seen is kept, $book (source, sync_tenant, sync_run, last_seen) is set.
// Returns how many rows were written, how many nodes were added and how many changed.
UNWIND $rows AS row
MERGE (n:Scope {id: row.id})
// Every stored node has first_seen, so a node without one was just created.
WITH n, row, n.first_seen IS NULL AS added, coalesce(n.first_seen, $seen) AS first_seen
WITH n, row, added, first_seen,
     NOT added AND (
       any(k IN keys(row.props) WHERE row.props[k] IS NOT NULL AND (n[k] IS NULL OR n[k] <> row.props[k]))
       OR any(k IN keys(n) WHERE NOT k IN $fixed AND row.props[k] IS NULL)
     ) AS changed
// Only a new or changed node is rewritten; an unchanged one gets the run's tags.
FOREACH (_ IN CASE WHEN added OR changed THEN [1] ELSE [] END |
  SET n = row.props, n.id = row.id, n.first_seen = first_seen)
SET n += $book, n.sync_origin = row.origin
RETURN count(*) AS rows, sum(toInteger(added)) AS added, sum(toInteger(changed)) AS updated
