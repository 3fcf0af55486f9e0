// Returns the liveness facts of each credential in $ids: status and timestamps, the
// [id, status] of every integration holding it, and the enabled flag of every principal
// it acts as.
UNWIND $ids AS wanted
MATCH (c:Credential {id: wanted})
RETURN c.id AS id, c.status AS status, c.created_at AS created_at,
       c.expires_at AS expires_at, c.revoked_at AS revoked_at,
       COLLECT { MATCH (i:Integration)-[:HAS_CREDENTIAL]->(c) RETURN [i.id, i.status] } AS integrations,
       COLLECT { MATCH (c)-[:ACTS_AS]->(p:Principal) RETURN p.enabled } AS principals
