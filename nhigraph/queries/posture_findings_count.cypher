// Returns how many stored findings ($open 1: open, 0: resolved) $severities, $rules and
// $integrations select (empty: all).
MATCH (f:Finding)
WHERE f.open = $open
  AND (size($severities) = 0 OR f.severity_rank IN $severities)
  AND (size($rules) = 0 OR f.rule IN $rules)
  AND (size($integrations) = 0 OR f.integration IN $integrations)
RETURN count(f) AS total
