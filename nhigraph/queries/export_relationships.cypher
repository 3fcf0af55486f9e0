// Returns every relationship's type, end ids and properties, ordered by start, type, end;
// the stored posture's (REACHES, ABOUT, OF) are not part of the graph and are left out.
MATCH (a)-[r]->(b)
WHERE NOT type(r) IN ['REACHES', 'ABOUT', 'OF']
RETURN type(r) AS type, a.id AS start, b.id AS end, properties(r) AS props
ORDER BY start, type, end
