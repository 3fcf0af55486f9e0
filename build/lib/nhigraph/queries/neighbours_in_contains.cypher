// Returns, for each :DataStore in $ids, the nodes that point at it with :CONTAINS, and the
// relationship's properties: rows (id, other, props); ids without any are absent.
UNWIND $ids AS id
MATCH (:DataStore {id: id})<-[r:CONTAINS]-(a)
RETURN id, a.id AS other, properties(r) AS props
