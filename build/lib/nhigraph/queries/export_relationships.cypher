// Returns every relationship's type, end ids and properties, ordered by start, type, end.
MATCH (a)-[r]->(b)
RETURN type(r) AS type, a.id AS start, b.id AS end, properties(r) AS props
ORDER BY start, type, end
