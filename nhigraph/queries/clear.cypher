// Deletes every node and relationship (tests and starting over), but not the generation,
// which only ever moves on; returns nothing.
MATCH (n)
WHERE NOT n:NhigraphMeta
CALL (n) { DETACH DELETE n } IN TRANSACTIONS OF 10000 ROWS
