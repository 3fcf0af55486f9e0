// Deletes the relationships $source reported for $tenant in runs other than $run, each
// only when every page chain it was read from (sync_origin) is in $complete: $complete
// null means all; one without chains goes only when $whole. Returns how many were deleted.
MATCH ()-[r]->()
WHERE r.source = $source AND r.sync_tenant = $tenant AND r.sync_run <> $run
  AND ($complete IS NULL OR CASE WHEN r.sync_origin IS NULL THEN $whole
       ELSE all(chain IN r.sync_origin WHERE chain IN $complete) END)
DELETE r
RETURN count(*) AS removed
