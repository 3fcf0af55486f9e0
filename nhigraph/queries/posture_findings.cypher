// Returns a page of stored findings ($open 1: open, 0: resolved) filtered by
// $severities, $rules and $integrations (empty: all), after the keyset $after
// ([severity_rank, rule, subject, id], or null), in that order, $first at most.
MATCH (f:Finding)
WHERE f.open = $open
  AND (size($severities) = 0 OR f.severity_rank IN $severities)
  AND (size($rules) = 0 OR f.rule IN $rules)
  AND (size($integrations) = 0 OR f.integration IN $integrations)
  AND ($after IS NULL
       OR f.severity_rank > $after[0]
       OR (f.severity_rank = $after[0] AND f.rule > $after[1])
       OR (f.severity_rank = $after[0] AND f.rule = $after[1] AND f.subject > $after[2])
       OR (f.severity_rank = $after[0] AND f.rule = $after[1] AND f.subject = $after[2]
           AND f.id > $after[3]))
RETURN f.id AS id, f.body AS body, f.first_seen AS first_seen, f.last_seen AS last_seen,
       f.resolved_at AS resolved_at
ORDER BY f.severity_rank, f.rule, f.subject, f.id
LIMIT $first
