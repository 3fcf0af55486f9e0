// Moves the store's generation on by one, in the writing transaction (its last statement,
// so the lock on the one bookkeeping node is held only until the commit); returns it.
MERGE (m:NhigraphMeta {key: 'generation'})
SET m.value = coalesce(m.value, 0) + 1
RETURN m.value AS generation
