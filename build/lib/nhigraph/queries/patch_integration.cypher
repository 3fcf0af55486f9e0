// Sets the patch of each :Integration in $rows (maps {id, props}): patch_<field> for the
// fields given (the others are removed) and $book (patch_source, patch_tenant, patch_run).
// Returns how many rows found their node and how many patches changed (run tag aside).
UNWIND $rows AS row
MATCH (n:Integration {id: row.id})
WITH n, row, datetime(row.props.review_due) AS review_due
WITH n, row, review_due,
     [v IN [n.patch_purpose, n.patch_lifecycle, n.patch_review_due, n.patch_source,
            n.patch_tenant] | coalesce(toString(v), '')]
       <> [v IN [row.props.purpose, row.props.lifecycle, review_due, $book.patch_source,
            $book.patch_tenant] | coalesce(toString(v), '')] AS changed
SET n.patch_purpose = row.props.purpose, n.patch_lifecycle = row.props.lifecycle,
    n.patch_review_due = review_due
SET n += $book
RETURN count(*) AS rows, sum(toInteger(changed)) AS updated
