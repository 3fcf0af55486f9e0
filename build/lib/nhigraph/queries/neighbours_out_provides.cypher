// Returns, for each :Vendor in $ids, the nodes it points at with :PROVIDES, and the
// relationship's properties: rows (id, other, props); ids without any are absent.
UNWIND $ids AS id
MATCH (:Vendor {id: id})-[r:PROVIDES]->(b)
RETURN id, b.id AS other, properties(r) AS props
