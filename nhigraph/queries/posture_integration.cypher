// Returns the IntegrationPosture record of $id, if any.
MATCH (p:IntegrationPosture {id: $id})
RETURN p.id AS id, p.risk AS risk, p.tier AS tier, p.blast_score AS blast_score,
       p.due AS due, p.body AS body
