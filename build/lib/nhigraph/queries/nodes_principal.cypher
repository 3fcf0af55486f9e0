// Returns every :Principal node, ordered by id, with all its properties.
MATCH (n:Principal)
RETURN n.id AS id, properties(n) AS props
ORDER BY id
