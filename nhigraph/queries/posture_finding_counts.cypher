// Returns the number of open findings per severity rank.
MATCH (f:Finding)
WHERE f.open = 1
RETURN f.severity_rank AS rank, count(*) AS count
