// Returns the number of relationships per type; the stored posture's (REACHES, ABOUT,
// OF) are derived, not part of the graph, and left out.
MATCH ()-[r]->()
WHERE NOT type(r) IN ['REACHES', 'ABOUT', 'OF']
RETURN type(r) AS type, count(*) AS count
