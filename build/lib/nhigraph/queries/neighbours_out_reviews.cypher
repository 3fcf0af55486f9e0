// Returns, for each :Review in $ids, the nodes it points at with :REVIEWS, and the
// relationship's properties: rows (id, other, props); ids without any are absent.
UNWIND $ids AS id
MATCH (:Review {id: id})-[r:REVIEWS]->(b)
RETURN id, b.id AS other, properties(r) AS props
