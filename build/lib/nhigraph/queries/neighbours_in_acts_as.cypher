// Returns, for each :Principal in $ids, the nodes that point at it with :ACTS_AS, and the
// relationship's properties: rows (id, other, props); ids without any are absent.
UNWIND $ids AS id
MATCH (:Principal {id: id})<-[r:ACTS_AS]-(a)
RETURN id, a.id AS other, properties(r) AS props
