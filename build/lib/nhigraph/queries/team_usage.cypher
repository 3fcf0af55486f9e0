// Returns every integration some team owns or uses, with the distinct teams.
MATCH (t:Team)-[:OWNS|USES]->(i:Integration)
RETURN i.id AS integration, collect(DISTINCT t.id) AS teams
