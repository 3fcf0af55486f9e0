// Upserts (:Scope)-[:CAN_ACCESS]->(:DataStore) relationships from $rows (maps {start, end, props}):
// properties are replaced, first_seen is kept, $book is set. Returns how many rows found
// both ends (the caller refuses the batch when that is fewer than it sent), how many
// relationships were added and how many changed.
UNWIND $rows AS row
MATCH (a:Scope {id: row.start})
MATCH (b:DataStore {id: row.end})
MERGE (a)-[r:CAN_ACCESS]->(b)
// Every stored relationship has first_seen: one without it was just created.
WITH r, row, r.first_seen IS NULL AS added, coalesce(r.first_seen, $seen) AS first_seen
WITH r, row, added, first_seen,
     NOT added AND (
       any(k IN keys(row.props) WHERE r[k] IS NULL OR r[k] <> row.props[k])
       OR any(k IN keys(r) WHERE NOT k IN $fixed AND row.props[k] IS NULL)
     ) AS changed
// Only a new or changed relationship is rewritten; an unchanged one gets the run's tags.
FOREACH (_ IN CASE WHEN added OR changed THEN [1] ELSE [] END |
  SET r = row.props, r.first_seen = first_seen)
SET r += $book, r.sync_origin = row.origin
RETURN count(*) AS rows, sum(toInteger(added)) AS added, sum(toInteger(changed)) AS updated
