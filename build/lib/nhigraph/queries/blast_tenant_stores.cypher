// Returns the data stores each tenant in $ids CONTAINS.
UNWIND $ids AS wanted
MATCH (t:Tenant {id: wanted})
RETURN t.id AS tenant, COLLECT { MATCH (t)-[:CONTAINS]->(d:DataStore) RETURN d.id } AS stores
