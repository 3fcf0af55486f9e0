// Deletes every node and relationship, run records included (tests and starting over),
// but not the generation, which only ever moves on; returns nothing.
MATCH (n)
WHERE NOT n:NhigraphMeta
CALL (n) { DETACH DELETE n } IN TRANSACTIONS OF 10000 ROWS
