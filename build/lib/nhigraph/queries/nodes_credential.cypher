// Returns every :Credential node, ordered by id, with all its properties.
MATCH (n:Credential)
RETURN n.id AS id, properties(n) AS props
ORDER BY id
