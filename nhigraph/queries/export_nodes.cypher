// Returns every node's label and properties, ordered by id; bookkeeping nodes (the
// generation, run records) and the stored posture (Derived nodes) are not part of the
// graph and are left out.
MATCH (n)
WHERE NOT n:NhigraphMeta AND NOT n:NhigraphRun AND NOT n:Derived
RETURN labels(n)[0] AS label, properties(n) AS props
ORDER BY n.id
