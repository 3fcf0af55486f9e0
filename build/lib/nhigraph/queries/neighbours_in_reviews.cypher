// Returns, for each :Integration in $ids, the nodes that point at it with :REVIEWS, and the
// relationship's properties: rows (id, other, props); ids without any are absent.
UNWIND $ids AS id
MATCH (:Integration {id: id})<-[r:REVIEWS]-(a)
RETURN id, a.id AS other, properties(r) AS props
