// Returns every node's label and properties, ordered by id.
MATCH (n)
RETURN labels(n)[0] AS label, properties(n) AS props
ORDER BY n.id
