// Returns every :Integration node, ordered by id, with all its properties.
MATCH (n:Integration)
RETURN n.id AS id, properties(n) AS props
ORDER BY id
