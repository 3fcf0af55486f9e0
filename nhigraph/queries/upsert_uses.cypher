// Upserts (:Team)-[:USES]->(:Integration) relationships from $rows (maps {start, end, props}):
// properties are replaced, first_seen is kept, $book is set. Returns how many rows found
// both ends (the caller refuses the batch when that is fewer than it sent), how many
// relationships were added and how many changed.
UNWIND $rows AS row
MATCH (a:Team {id: row.start})
MATCH (b:Integration {id: row.end})
OPTIONAL MATCH (a)-[old:USES]->(b)
WITH a, b, row, old IS NULL AS added,
     old IS NOT NULL AND (
       any(k IN keys(row.props) WHERE old[k] IS NULL OR old[k] <> row.props[k])
       OR any(k IN keys(old) WHERE NOT k IN $fixed AND row.props[k] IS NULL)
     ) AS changed
MERGE (a)-[r:USES]->(b)
ON CREATE SET r.first_seen = $seen
WITH r, row, added, changed, r.first_seen AS first_seen
// Only a new or changed relationship is rewritten; an unchanged one gets the run's tags.
FOREACH (_ IN CASE WHEN added OR changed THEN [1] ELSE [] END |
  SET r = row.props, r.first_seen = first_seen)
SET r += $book
RETURN count(*) AS rows, sum(toInteger(added)) AS added, sum(toInteger(changed)) AS updated
