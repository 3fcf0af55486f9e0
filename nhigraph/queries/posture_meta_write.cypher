// Sets the stored posture's description (a map of strings) on the one PostureMeta node;
// returns nothing.
MERGE (m:PostureMeta:Derived {key: 'posture'})
SET m = $meta, m.key = 'posture'
