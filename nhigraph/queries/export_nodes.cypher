// Returns every node's label and properties, ordered by id; the bookkeeping node of the
// generation is not part of the graph and is left out.
MATCH (n)
WHERE NOT n:NhigraphMeta
RETURN labels(n)[0] AS label, properties(n) AS props
ORDER BY n.id
