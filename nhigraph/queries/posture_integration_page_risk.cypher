// Returns a page of IntegrationPosture records ($ids empty: all), highest risk first then
// by id, $offset skipped and $first at most, each with its whole days overdue at $now.
MATCH (p:IntegrationPosture)
WHERE size($ids) = 0 OR p.id IN $ids
WITH p, duration.inSeconds(datetime(p.due), datetime($now)).seconds AS late
RETURN p.id AS id, p.risk AS risk, p.tier AS tier, p.blast_score AS blast_score,
       p.due AS due, p.body AS body, (late - ((late % 86400) + 86400) % 86400) / 86400 AS overdue
ORDER BY p.risk DESC, p.id
SKIP $offset
LIMIT $first
