// Returns, for each :Scope in $ids, the nodes that point at it with :GRANTS, and the
// relationship's properties: rows (id, other, props); ids without any are absent.
UNWIND $ids AS id
MATCH (:Scope {id: id})<-[r:GRANTS]-(a)
RETURN id, a.id AS other, properties(r) AS props
