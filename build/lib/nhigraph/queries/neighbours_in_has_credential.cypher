// Returns, for each :Credential in $ids, the nodes that point at it with :HAS_CREDENTIAL, and the
// relationship's properties: rows (id, other, props); ids without any are absent.
UNWIND $ids AS id
MATCH (:Credential {id: id})<-[r:HAS_CREDENTIAL]-(a)
RETURN id, a.id AS other, properties(r) AS props
