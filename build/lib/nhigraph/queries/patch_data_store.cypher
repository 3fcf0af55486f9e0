// Sets the patch of each :DataStore in $rows (maps {id, props}): patch_classification
// (removed when not given) and $book (patch_source, patch_tenant, patch_run).
// Returns how many rows found their node and how many patches changed (run tag aside).
UNWIND $rows AS row
MATCH (n:DataStore {id: row.id})
WITH n, row,
     [v IN [n.patch_classification, n.patch_source, n.patch_tenant] | coalesce(v, '')]
       <> [v IN [row.props.classification, $book.patch_source, $book.patch_tenant]
            | coalesce(v, '')] AS changed
SET n.patch_classification = row.props.classification
SET n += $book
RETURN count(*) AS rows, sum(toInteger(changed)) AS updated
