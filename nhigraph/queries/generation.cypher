// Returns the store's generation: a number every committed write moves (0 before any).
OPTIONAL MATCH (m:NhigraphMeta {key: 'generation'})
RETURN coalesce(m.value, 0) AS generation
