// Returns, for each :Integration in $ids, the nodes it points at with :APPROVED_FOR, and the
// relationship's properties: rows (id, other, props); ids without any are absent.
UNWIND $ids AS id
MATCH (:Integration {id: id})-[r:APPROVED_FOR]->(b)
RETURN id, b.id AS other, properties(r) AS props
