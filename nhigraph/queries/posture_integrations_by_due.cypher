// Returns a page of IntegrationPosture records, earliest review due first, then highest
// risk, highest blast score and id, after the keyset $after ([due, risk, blast_score, id]
// of the previous page's last row, or null), $first at most.
MATCH (p:IntegrationPosture)
WHERE $after IS NULL OR p.due > $after[0]
   OR (p.due = $after[0] AND p.risk < $after[1])
   OR (p.due = $after[0] AND p.risk = $after[1] AND p.blast_score < $after[2])
   OR (p.due = $after[0] AND p.risk = $after[1] AND p.blast_score = $after[2]
       AND p.id > $after[3])
RETURN p.id AS id, p.risk AS risk, p.tier AS tier, p.blast_score AS blast_score,
       p.due AS due, p.body AS body
ORDER BY p.due, p.risk DESC, p.blast_score DESC, p.id
LIMIT $first
