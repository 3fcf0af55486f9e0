// Deletes the nodes $source reported for $tenant in runs other than $run (their
// relationships are gone already), each only when every page chain it was read from
// (sync_origin) is in $complete: $complete null means all; a node without chains goes
// only when $whole. Returns how many were deleted.
MATCH (n)
WHERE n.source = $source AND n.sync_tenant = $tenant AND n.sync_run <> $run
  AND ($complete IS NULL OR CASE WHEN n.sync_origin IS NULL THEN $whole
       ELSE all(chain IN n.sync_origin WHERE chain IN $complete) END)
DELETE n
RETURN count(*) AS removed
