// Returns the number of nodes per label; bookkeeping nodes (the generation, run records)
// and the stored posture (Derived nodes) are not part of the graph and are left out.
MATCH (n)
WHERE NOT n:NhigraphMeta AND NOT n:NhigraphRun AND NOT n:Derived
RETURN labels(n)[0] AS label, count(*) AS count
