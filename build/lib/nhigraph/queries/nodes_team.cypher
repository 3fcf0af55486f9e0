// Returns every :Team node, ordered by id, with all its properties.
MATCH (n:Team)
RETURN n.id AS id, properties(n) AS props
ORDER BY id
