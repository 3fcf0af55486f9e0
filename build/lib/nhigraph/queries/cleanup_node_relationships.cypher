// Deletes every relationship (of any source) that touches a node cleanup_nodes deletes
// (same conditions): a relationship cannot outlive its ends. Returns how many.
MATCH (n)
WHERE n.source = $source AND n.sync_tenant = $tenant AND n.sync_run <> $run
  AND ($complete IS NULL OR CASE WHEN n.sync_origin IS NULL THEN $whole
       ELSE all(chain IN n.sync_origin WHERE chain IN $complete) END)
MATCH (n)-[r]-()
WITH DISTINCT r
DELETE r
RETURN count(*) AS removed
