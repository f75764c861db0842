// Package store holds what the SQL stores (store/sqlite, store/postgres)
// share beside their SQL: the retention modes, the migration loader and
// the decoding of the rows both read. The SQL itself differs per database
// and stays in each store.
package store
