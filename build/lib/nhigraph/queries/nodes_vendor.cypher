// Returns every :Vendor node, ordered by id, with all its properties.
MATCH (n:Vendor)
RETURN n.id AS id, properties(n) AS props
ORDER BY id
