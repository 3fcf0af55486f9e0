// Returns a page of IntegrationPosture records ($ids empty: all) in review-queue order:
// most whole days overdue at $now first (floor, also for a due date still ahead), then
// highest risk, highest blast score, id; $offset skipped, $first at most.
MATCH (p:IntegrationPosture)
WHERE size($ids) = 0 OR p.id IN $ids
WITH p, duration.inSeconds(datetime(p.due), datetime($now)).seconds AS late
WITH p, (late - ((late % 86400) + 86400) % 86400) / 86400 AS overdue
RETURN p.id AS id, p.risk AS risk, p.tier AS tier, p.blast_score AS blast_score,
       p.due AS due, p.body AS body, overdue
ORDER BY overdue DESC, p.risk DESC, p.blast_score DESC, p.id
SKIP $offset
LIMIT $first
