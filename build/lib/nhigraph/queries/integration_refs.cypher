// Returns every integration, ordered by id, with what joins it to the inventory and its
// vendor: name, provider, client id, publisher hints, and the vendors that PROVIDE it by
// any source other than $derived (the vendor linker's own links are left out).
MATCH (i:Integration)
RETURN i.id AS id, i.name AS name, i.provider AS provider, i.client_id AS client_id,
       i.publisher AS publisher, i.publisher_id AS publisher_id,
       i.publisher_verified AS publisher_verified,
       COLLECT { MATCH (v:Vendor)-[p:PROVIDES]->(i) WHERE p.source <> $derived RETURN v.id }
         AS declared
ORDER BY id
