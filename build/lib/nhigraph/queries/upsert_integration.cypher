// Upserts :Integration nodes from $rows (maps {id, props}): domain properties are replaced,
// first_seen is kept, $book (source, sync_tenant, sync_run, last_seen) is set, and a patch
// people declared (patch_* properties, in $fixed) is kept.
// Timestamps arrive as ISO 8601 text and are stored as native datetimes.
// Returns how many rows were written, how many nodes were added and how many changed.
UNWIND $rows AS row
WITH row, row.props AS given
WITH row, given {
  .*,
  created_at: datetime(given.created_at),
  last_used_at: datetime(given.last_used_at),
  review_due: datetime(given.review_due)
} AS props
MERGE (n:Integration {id: row.id})
// Every stored node has first_seen, so a node without one was just created.
WITH n, row, props, n.first_seen IS NULL AS added, coalesce(n.first_seen, $seen) AS first_seen
WITH n, row, props, added, first_seen,
     NOT added AND (
       any(k IN keys(props) WHERE props[k] IS NOT NULL AND (n[k] IS NULL OR n[k] <> props[k]))
       OR any(k IN keys(n) WHERE NOT k IN $fixed AND props[k] IS NULL)
     ) AS changed
// Only a new or changed node is rewritten; an unchanged one gets the run's tags.
FOREACH (_ IN CASE WHEN added OR changed THEN [1] ELSE [] END |
  SET n = props {
    .*, patch_purpose: n.patch_purpose, patch_lifecycle: n.patch_lifecycle,
    patch_review_due: n.patch_review_due, patch_source: n.patch_source,
    patch_tenant: n.patch_tenant, patch_run: n.patch_run
  }, n.id = row.id, n.first_seen = first_seen)
SET n += $book, n.sync_origin = row.origin
RETURN count(*) AS rows, sum(toInteger(added)) AS added, sum(toInteger(changed)) AS updated
