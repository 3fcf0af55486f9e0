// Returns each data store in $ids with its name and classification (a patch people
// declared wins), the tenants that CONTAIN it and the credentials it STORES.
UNWIND $ids AS wanted
MATCH (d:DataStore {id: wanted})
RETURN d.id AS id, d.name AS name, coalesce(d.patch_classification, d.classification) AS classification,
       COLLECT { MATCH (t:Tenant)-[:CONTAINS]->(d) RETURN t.id } AS tenants,
       COLLECT { MATCH (d)-[:STORES]->(c:Credential) RETURN c.id } AS stored
