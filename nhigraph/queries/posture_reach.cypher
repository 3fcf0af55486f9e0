// Returns the data stores the Integration $id REACHES, with access and depth, by store.
MATCH (:Integration {id: $id})-[r:REACHES]->(d:DataStore)
RETURN d.id AS store, r.access AS access, r.depth AS depth
ORDER BY store
