// Returns, for each :DataStore in $ids, the nodes it points at with :STORES, and the
// relationship's properties: rows (id, other, props); ids without any are absent.
UNWIND $ids AS id
MATCH (:DataStore {id: id})-[r:STORES]->(b)
RETURN id, b.id AS other, properties(r) AS props
