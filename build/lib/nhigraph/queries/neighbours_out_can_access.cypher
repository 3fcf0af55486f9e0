// Returns, for each :Scope in $ids, the nodes it points at with :CAN_ACCESS, and the
// relationship's properties: rows (id, other, props); ids without any are absent.
UNWIND $ids AS id
MATCH (:Scope {id: id})-[r:CAN_ACCESS]->(b)
RETURN id, b.id AS other, properties(r) AS props
