// Returns every :DataStore node, ordered by id, with all its properties.
MATCH (n:DataStore)
RETURN n.id AS id, properties(n) AS props
ORDER BY id
