// Removes the patches $source declared for $tenant before run $run (its cleanup scope):
// every patch_* property of those nodes goes, so the owners' values show again.
// Returns how many patches were removed.
MATCH (n:Integration|DataStore)
WHERE n.patch_source = $source AND n.patch_tenant = $tenant AND n.patch_run <> $run
REMOVE n.patch_purpose, n.patch_lifecycle, n.patch_review_due, n.patch_classification,
       n.patch_source, n.patch_tenant, n.patch_run
RETURN count(n) AS removed
