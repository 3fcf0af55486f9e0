// Returns, for each id in $ids the graph holds, its label and the credential ids it stands
// for: a credential itself; an integration's credentials; those of the integrations a
// vendor provides; those of the integrations a team owns or uses. Other labels get [].
UNWIND $ids AS wanted
CALL (wanted) {
  MATCH (:Credential {id: wanted})
  RETURN 'Credential' AS label, [wanted] AS credentials
  UNION ALL
  MATCH (i:Integration {id: wanted})
  RETURN 'Integration' AS label,
         COLLECT { MATCH (i)-[:HAS_CREDENTIAL]->(c:Credential) RETURN DISTINCT c.id } AS credentials
  UNION ALL
  MATCH (v:Vendor {id: wanted})
  RETURN 'Vendor' AS label,
         COLLECT {
           MATCH (v)-[:PROVIDES]->(:Integration)-[:HAS_CREDENTIAL]->(c:Credential)
           RETURN DISTINCT c.id
         } AS credentials
  UNION ALL
  MATCH (t:Team {id: wanted})
  RETURN 'Team' AS label,
         COLLECT {
           MATCH (t)-[:OWNS|USES]->(:Integration)-[:HAS_CREDENTIAL]->(c:Credential)
           RETURN DISTINCT c.id
         } AS credentials
  UNION ALL
  MATCH (:Principal {id: wanted}) RETURN 'Principal' AS label, [] AS credentials
  UNION ALL
  MATCH (:Scope {id: wanted}) RETURN 'Scope' AS label, [] AS credentials
  UNION ALL
  MATCH (:Tenant {id: wanted}) RETURN 'Tenant' AS label, [] AS credentials
  UNION ALL
  MATCH (:DataStore {id: wanted}) RETURN 'DataStore' AS label, [] AS credentials
}
RETURN wanted AS id, label, credentials
