// Deletes the nodes $source reported for $tenant in runs other than $run (their
// relationships are gone already); returns how many were deleted.
MATCH (n)
WHERE n.source = $source AND n.sync_tenant = $tenant AND n.sync_run <> $run
DELETE n
RETURN count(*) AS removed
