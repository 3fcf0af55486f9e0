// Deletes the relationships $source reported for $tenant in runs other than $run;
// returns how many were deleted.
MATCH ()-[r]->()
WHERE r.source = $source AND r.sync_tenant = $tenant AND r.sync_run <> $run
DELETE r
RETURN count(*) AS removed
