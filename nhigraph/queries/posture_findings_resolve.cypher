// Resolves at $now every open Finding that build $build did not find; returns how many.
MATCH (f:Finding)
WHERE f.open = 1 AND f.build <> $build
SET f.open = 0, f.resolved_at = $now
RETURN count(*) AS resolved
