// Returns, for each node in $ids (DataStore or Tenant), the nodes that point at it with
// :CAN_ACCESS, and the relationship's properties: rows (id, other, props). One indexed lookup
// per label, since Neo4j 5.26 cannot seek on a label disjunction.
UNWIND $ids AS id
CALL (id) {
  MATCH (:DataStore {id: id})<-[r:CAN_ACCESS]-(a) RETURN a, r
  UNION ALL
  MATCH (:Tenant {id: id})<-[r:CAN_ACCESS]-(a) RETURN a, r
}
RETURN id, a.id AS other, properties(r) AS props
