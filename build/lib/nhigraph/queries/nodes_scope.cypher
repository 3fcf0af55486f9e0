// Returns every :Scope node, ordered by id, with all its properties.
MATCH (n:Scope)
RETURN n.id AS id, properties(n) AS props
ORDER BY id
