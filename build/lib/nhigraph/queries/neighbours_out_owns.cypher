// Returns, for each :Team in $ids, the nodes it points at with :OWNS, and the
// relationship's properties: rows (id, other, props); ids without any are absent.
UNWIND $ids AS id
MATCH (:Team {id: id})-[r:OWNS]->(b)
RETURN id, b.id AS other, properties(r) AS props
