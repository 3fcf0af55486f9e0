// Returns id, label and all properties of each node whose id is in $ids (missing ids are
// simply absent). One indexed lookup per label, since Neo4j 5.26 cannot seek on a dynamic label.
UNWIND $ids AS wanted
CALL (wanted) {
  MATCH (n:Team {id: wanted}) RETURN n
  UNION ALL
  MATCH (n:Vendor {id: wanted}) RETURN n
  UNION ALL
  MATCH (n:Integration {id: wanted}) RETURN n
  UNION ALL
  MATCH (n:Credential {id: wanted}) RETURN n
  UNION ALL
  MATCH (n:Principal {id: wanted}) RETURN n
  UNION ALL
  MATCH (n:Scope {id: wanted}) RETURN n
  UNION ALL
  MATCH (n:Tenant {id: wanted}) RETURN n
  UNION ALL
  MATCH (n:DataStore {id: wanted}) RETURN n
  UNION ALL
  MATCH (n:Review {id: wanted}) RETURN n
}
RETURN n.id AS id, labels(n)[0] AS label, properties(n) AS props
