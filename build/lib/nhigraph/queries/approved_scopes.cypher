// Returns the scopes the integration $id is APPROVED_FOR.
MATCH (:Integration {id: $id})-[:APPROVED_FOR]->(s:Scope)
RETURN s.id AS scope
