// Returns every (credential)-[:GRANTS]->(scope)-[:CAN_ACCESS]->(store or tenant) step from
// the credentials in $ids, with the edge's access (the scope's when the edge has none).
UNWIND $ids AS wanted
MATCH (c:Credential {id: wanted})-[:GRANTS]->(s:Scope)-[r:CAN_ACCESS]->(t)
RETURN c.id AS credential, s.id AS scope, t.id AS target,
       CASE WHEN t:Tenant THEN 'Tenant' ELSE 'DataStore' END AS target_label,
       coalesce(r.access, s.access) AS access
