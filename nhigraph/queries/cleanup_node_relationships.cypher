// Deletes every relationship (of any source) that touches a node $source reported for
// $tenant in runs other than $run: a relationship cannot outlive its ends. Returns how many.
MATCH (n)
WHERE n.source = $source AND n.sync_tenant = $tenant AND n.sync_run <> $run
MATCH (n)-[r]-()
WITH DISTINCT r
DELETE r
RETURN count(*) AS removed
