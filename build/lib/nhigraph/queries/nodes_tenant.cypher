// Returns every :Tenant node, ordered by id, with all its properties.
MATCH (n:Tenant)
RETURN n.id AS id, properties(n) AS props
ORDER BY id
