// Writes (:Integration)-[:REACHES {access, depth}]->(:DataStore) from $rows (maps
// {integration, store, access, depth}); returns how many were written.
UNWIND $rows AS row
MATCH (i:Integration {id: row.integration})
MATCH (d:DataStore {id: row.store})
CREATE (i)-[:REACHES {access: row.access, depth: row.depth}]->(d)
RETURN count(*) AS written
