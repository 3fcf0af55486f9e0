// Returns, for each :Integration in $ids, the nodes it points at with :HAS_CREDENTIAL, and the
// relationship's properties: rows (id, other, props); ids without any are absent.
UNWIND $ids AS id
MATCH (:Integration {id: id})-[r:HAS_CREDENTIAL]->(b)
RETURN id, b.id AS other, properties(r) AS props
