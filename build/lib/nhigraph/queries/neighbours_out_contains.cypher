// Returns, for each :Tenant in $ids, the nodes it points at with :CONTAINS, and the
// relationship's properties: rows (id, other, props); ids without any are absent.
UNWIND $ids AS id
MATCH (:Tenant {id: id})-[r:CONTAINS]->(b)
RETURN id, b.id AS other, properties(r) AS props
