// Deletes up to $rows nodes of the stored posture but the findings (which keep their
// history): IntegrationPosture, SharedConnector and PostureMeta; returns how many.
MATCH (n:Derived)
WHERE NOT n:Finding
WITH n LIMIT $rows
DETACH DELETE n
RETURN count(*) AS deleted
