// Writes IntegrationPosture nodes from $rows (maps {id, risk, tier, blast_score, due,
// body}), each joined to its Integration by OF; returns how many were written.
UNWIND $rows AS row
CREATE (p:IntegrationPosture:Derived {id: row.id, risk: row.risk, tier: row.tier,
        blast_score: row.blast_score, due: row.due, body: row.body})
WITH p, row
MATCH (i:Integration {id: row.id})
CREATE (p)-[:OF]->(i)
RETURN count(*) AS written
