// Package store holds what the SQL stores (store/sqlite, store/postgres)
// share beside their SQL: the retention modes, the migration loader, the
// decoding of the rows both read and the encoding of a turn's JSON. The SQL itself differs per database
// and stays in each store.
package store
