// Returns a page of IntegrationPosture records, highest risk first then by id, after the
// keyset $after ([risk, id] of the previous page's last row, or null), $first at most.
MATCH (p:IntegrationPosture)
WHERE $after IS NULL OR p.risk < $after[0] OR (p.risk = $after[0] AND p.id > $after[1])
RETURN p.id AS id, p.risk AS risk, p.tier AS tier, p.blast_score AS blast_score,
       p.due AS due, p.body AS body
ORDER BY p.risk DESC, p.id
LIMIT $first
