// Upserts :DataStore nodes from $rows (maps {id, props}): domain properties are replaced,
// first_seen is kept, $book (source, sync_tenant, sync_run, last_seen) is set, and a patch
// people declared (patch_* properties, in $fixed) is kept.
// Returns how many rows were written, how many nodes were added and how many changed.
UNWIND $rows AS row
MERGE (n:DataStore {id: row.id})
// Every stored node has first_seen, so a node without one was just created.
WITH n, row, n.first_seen IS NULL AS added, coalesce(n.first_seen, $seen) AS first_seen
WITH n, row, added, first_seen,
     NOT added AND (
       any(k IN keys(row.props) WHERE row.props[k] IS NOT NULL AND (n[k] IS NULL OR n[k] <> row.props[k]))
       OR any(k IN keys(n) WHERE NOT k IN $fixed AND row.props[k] IS NULL)
     ) AS changed
WITH n, row, row.props AS given, added, first_seen, changed
// Only a new or changed node is rewritten; an unchanged one gets the run's tags.
FOREACH (_ IN CASE WHEN added OR changed THEN [1] ELSE [] END |
  SET n = given {
    .*, patch_classification: n.patch_classification, patch_source: n.patch_source,
    patch_tenant: n.patch_tenant, patch_run: n.patch_run
  }, n.id = row.id, n.first_seen = first_seen)
SET n += $book, n.sync_origin = row.origin
RETURN count(*) AS rows, sum(toInteger(added)) AS added, sum(toInteger(changed)) AS updated
