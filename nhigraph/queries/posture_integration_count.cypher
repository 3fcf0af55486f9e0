// Returns how many IntegrationPosture records there are among $ids (empty: all).
MATCH (p:IntegrationPosture)
WHERE size($ids) = 0 OR p.id IN $ids
RETURN count(p) AS total
