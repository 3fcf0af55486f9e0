// Deletes every node and relationship (tests and `nhigraph reset`); returns nothing.
MATCH (n)
CALL (n) { DETACH DELETE n } IN TRANSACTIONS OF 10000 ROWS
