// Returns every :Review node, ordered by id, with all its properties.
MATCH (n:Review)
RETURN n.id AS id, properties(n) AS props
ORDER BY id
