// Returns the number of nodes per label; the bookkeeping node of the generation
// is not part of the graph and is left out.
MATCH (n)
WHERE NOT n:NhigraphMeta
RETURN labels(n)[0] AS label, count(*) AS count
