// Returns, for each :Credential in $ids, the nodes it points at with :GRANTS, and the
// relationship's properties: rows (id, other, props); ids without any are absent.
UNWIND $ids AS id
MATCH (:Credential {id: id})-[r:GRANTS]->(b)
RETURN id, b.id AS other, properties(r) AS props
