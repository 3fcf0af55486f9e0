// Writes SharedConnector nodes from $rows (maps {id, excess, body}); returns how many.
UNWIND $rows AS row
CREATE (:SharedConnector:Derived {id: row.id, excess: row.excess, body: row.body})
RETURN count(*) AS written
