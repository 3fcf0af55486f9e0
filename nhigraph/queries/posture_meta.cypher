// Returns the stored posture's description, if any.
MATCH (m:PostureMeta {key: 'posture'})
RETURN properties(m) AS meta
