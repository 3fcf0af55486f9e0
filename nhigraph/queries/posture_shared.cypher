// Returns a page of SharedConnector records by id, after $after, $first at most.
MATCH (s:SharedConnector)
WHERE s.id > $after
RETURN s.id AS id, s.excess AS excess, s.body AS body
ORDER BY s.id
LIMIT $first
