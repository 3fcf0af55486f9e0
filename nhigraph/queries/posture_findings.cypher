// Returns a page of stored findings ($open 1: open, 0: resolved) filtered by
// $severities, $rules and $integrations (empty: all), in (severity_rank, rule, subject,
// integration or '', id) order: after the keyset $after (that tuple of the previous
// page's last row, or null), then $offset rows skipped, $first at most.
MATCH (f:Finding)
WHERE f.open = $open
  AND (size($severities) = 0 OR f.severity_rank IN $severities)
  AND (size($rules) = 0 OR f.rule IN $rules)
  AND (size($integrations) = 0 OR f.integration IN $integrations)
WITH f, [f.severity_rank, f.rule, f.subject, coalesce(f.integration, ''), f.id] AS k
WHERE $after IS NULL
   OR k[0] > $after[0]
   OR (k[0] = $after[0] AND k[1] > $after[1])
   OR (k[0] = $after[0] AND k[1] = $after[1] AND k[2] > $after[2])
   OR (k[0] = $after[0] AND k[1] = $after[1] AND k[2] = $after[2] AND k[3] > $after[3])
   OR (k[0] = $after[0] AND k[1] = $after[1] AND k[2] = $after[2] AND k[3] = $after[3]
       AND k[4] > $after[4])
RETURN f.id AS id, f.body AS body, f.first_seen AS first_seen, f.last_seen AS last_seen,
       f.resolved_at AS resolved_at
ORDER BY k[0], k[1], k[2], k[3], k[4]
SKIP $offset
LIMIT $first
