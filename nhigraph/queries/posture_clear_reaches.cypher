// Deletes up to $rows REACHES relationships (the stored posture's reach); returns how
// many were deleted.
MATCH ()-[r:REACHES]->()
WITH r LIMIT $rows
DELETE r
RETURN count(*) AS deleted
