// Returns every vendor, ordered by id, with its name, aliases and the source that wrote it.
MATCH (v:Vendor)
RETURN v.id AS id, v.name AS name, v.aliases AS aliases, v.source AS source
ORDER BY id
